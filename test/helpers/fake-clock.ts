/**
 * Fake time for the code that reads `performance.now()` (imported from node:perf_hooks,
 * which vitest's fake timers do not replace) and arms `setTimeout`: the MQTT driver's
 * deadline queues. Time moves only when the test says so.
 */
import { performance } from 'node:perf_hooks';
import { vi } from 'vitest';

export interface FakeClock {
  /** Moves time on by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void;
  /** Fires whatever is still pending (stale deadlines included), then restores real time. */
  restore(): void;
}

/**
 * Fakes setTimeout, clearTimeout and performance.now, from the current real reading on
 * (so deadlines scheduled before and after line up). Call restore() in a finally.
 */
export function useFakeClock(): FakeClock {
  // a whole number: then base + (whole fake ms) is exact in floating point, so a deadline
  // scheduled at t + d and a reading at t + d agree to the bit. With a fractional base they can
  // differ by one ulp, the deadline is "not due yet", and the driver re-arms for 1 ms later
  // (fake timers round a sub-millisecond delay up to 1 ms): a keepalive ping one tick late.
  const base = Math.ceil(performance.now());
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  // vitest replaced globalThis.performance; node:perf_hooks still hands out the real one
  const fake = globalThis.performance;
  const now = vi.spyOn(performance, 'now').mockImplementation(() => base + fake.now());
  return {
    advance: (ms) => void vi.advanceTimersByTime(ms),
    restore: () => {
      vi.runAllTimers();
      now.mockRestore();
      vi.useRealTimers();
    },
  };
}
