import { describe, it, expect } from 'vitest';
import { StormPolicy } from '../../src/load/storm-policy.js';

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
    p.onConnected(1, 32_000);
    expect(p.result()).toMatchObject({ dropped_at: new Date(30_000).toISOString(), t50_ms: 1000, t100_ms: 2000 });
    expect(p.finished(69_000, 60_000)).toBe(false); // deadline from the drop
  });
});
