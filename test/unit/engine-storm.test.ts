import { describe, it, expect } from 'vitest';
import { StormPolicy } from '../../src/load/storm-policy.js';
import { backoffDelay, reconnectPolicy, Reconnector } from '../../src/load/reconnect.js';

const cfg = { drop: 'disconnect' as const, downMs: 0, initialBackoffMs: 1000, maxBackoffMs: 4000, settleMs: 500 };

describe('reconnect-storm policy', () => {
  it('backs off with full jitter, doubling up to the cap', () => {
    const p = new StormPolicy(cfg, 1, () => 1); // the top of each jitter range
    expect([0, 1, 2, 3, 10].map((n) => p.backoff(n))).toEqual([1000, 2000, 4000, 4000, 4000]);
  });

  it('is not "all back" while later drops are still coming in', () => {
    const p = new StormPolicy(cfg, 4, () => 0.5);
    p.dropped(10_000);
    const dispatch = (): void => p.take(Infinity, () => undefined); // the coordinator hands the reconnects out
    p.onDrop(0, 10_000);
    p.onDrop(1, 10_000);
    dispatch();
    p.onConnected(0, 11_000);
    p.onConnected(1, 11_000);
    // the first group is back; a second group drops before the settle time is over
    p.onDrop(2, 11_200);
    dispatch();
    expect(p.finished(11_600, 60_000)).toBe(false);
    p.onConnected(2, 12_000);
    expect(p.finished(12_600, 60_000)).toBe(true);
    expect(p.result()).toMatchObject({ dropped: 3, recovered: 3, t100_ms: 2000 });
  });

  it('against an external restart, times the storm from the first drop, not from when it began waiting', () => {
    const p = new StormPolicy(cfg, 2, () => 0.5);
    p.dropped(10_000, true);
    expect(p.finished(20_000, 60_000)).toBe(false); // still waiting for the restart
    p.onDrop(0, 30_000);
    p.onDrop(1, 30_000);
    p.onConnected(0, 31_000);
    // device 1 never comes back: the deadline counts from the drop, not from the wait
    expect(p.result()).toMatchObject({ dropped_at: new Date(30_000).toISOString(), t50_ms: 1000, t100_ms: null });
    expect(p.result()).toMatchObject({ dropped: 2, recovered: 1, not_back: 1 });
    expect(p.finished(89_000, 60_000)).toBe(false);
    expect(p.finished(90_000, 60_000)).toBe(true);
  });

  it('retries first-wave failures with backoff, untimed, before the storm', () => {
    const p = new StormPolicy(cfg, 2, () => 0.5);
    p.onFail(0, 1_000);
    const retried: [number, number][] = [];
    p.take(Infinity, (d, at) => retried.push([d, at]));
    expect(retried).toEqual([[0, 1_500]]);
    p.onConnected(0, 1_600);
    expect(p.phase).toBe('ramp');
    expect(p.result()).toMatchObject({ dropped: 0, recovered: 0 });
  });

  it('a drop during the ramp is an external restart beginning: the storm starts there, and failures while it lasts are part of it', () => {
    const p = new StormPolicy(cfg, 3, () => 0.5);
    p.onConnected(0, 500);
    p.onDrop(0, 2_500); // the broker went away 2.5 s into the ramp
    expect(p.phase).toBe('storm');
    p.onFail(1, 2_600); // device 1's first attempt is refused while the broker is down
    p.take(Infinity, () => undefined);
    p.onConnected(0, 4_500);
    p.onConnected(1, 5_500);
    expect(p.result()).toMatchObject({
      dropped_at: new Date(2_500).toISOString(),
      dropped: 2,
      recovered: 2,
      t100_ms: 3_000,
    });
    expect(p.finished(5_999, 60_000)).toBe(false);
    expect(p.finished(6_000, 60_000)).toBe(true); // all back, settled
  });

  it('gives up waiting for a restart nobody does, and says nothing dropped (never "0/0 back" after a long idle)', () => {
    const p = new StormPolicy({ ...cfg, waitMs: 10_000 }, 2, () => 0.5);
    p.dropped(1_000, true);
    expect(p.finished(10_999, 60_000)).toBe(false);
    expect(p.finished(11_000, 60_000)).toBe(true);
    expect(p.result()).toMatchObject({ dropped: 0, dropped_at: null, t100_ms: null });
  });
});

describe('reconnect with backoff', () => {
  const base = { initialMs: 1_000, maxMs: 128_000, maxAttempts: 3 } as const;
  it('doubles up to the cap, with full, equal or no jitter', () => {
    const top = (): number => 1;
    expect([0, 1, 7, 8, 20].map((n) => backoffDelay({ ...base, jitter: 'full' }, n, top))).toEqual([
      1_000, 2_000, 128_000, 128_000, 128_000,
    ]);
    expect(backoffDelay({ ...base, jitter: 'full' }, 3, () => 0)).toBe(0);
    expect(backoffDelay({ ...base, jitter: 'equal' }, 3, () => 0)).toBe(4_000);
    expect(backoffDelay({ ...base, jitter: 'none' }, 3, () => 0.3)).toBe(8_000);
  });

  it('times each device from when it went down; gives up after its attempts', () => {
    const r = new Reconnector({ ...base, jitter: 'none' });
    r.down(7, 0, 0);
    r.down(7, 1_000, 0); // its retry failed too
    r.down(7, 3_000, 0);
    r.down(7, 7_000, 0); // the fourth failure: 3 retries were allowed
    expect(r.gaveUp).toBe(1);
    expect(r.stillDown).toBe(0);
    r.down(8, 0, 0);
    expect(r.up(8, 2_500)).toBe(2_500);
    expect(r.recovery('reconnect', 0)).toMatchObject({ dropped: 2, recovered: 1, not_back: 1, t50_ms: 2_500 });
  });

  it('under an executor: the run waits while a device is down, then the executor decides', () => {
    const p = reconnectPolicy(undefined, { ...base, jitter: 'none' });
    const ops = { cutAll: (): void => undefined, fail: (): void => undefined };
    p.onDropped!(1, 10_000);
    expect(p.advance(10_000, true, ops)).toBe('wait');
    const out: number[] = [];
    p.take(10_999, (d) => out.push(d));
    expect(out).toEqual([]);
    p.take(11_000, (d) => out.push(d));
    expect(out).toEqual([1]);
    p.onConnected!(1, 11_200);
    expect(p.advance(11_300, true, ops)).toBe('quiet');
    expect(p.result!().recovery).toMatchObject({ drop: 'reconnect', dropped: 1, recovered: 1, t100_ms: 1_200 });
  });
});
