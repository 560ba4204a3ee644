/** The shared deadline queues: order, cancel, reschedule, several durations, no leftovers. */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { Deadlines, type Timed } from '../../src/mqtt/deadlines.js';
import { useFakeClock, type FakeClock } from '../helpers/fake-clock.js';

class T implements Timed {
  deadlineSeq = 0;
  fired: number[] = [];
  constructor(
    readonly name: string,
    readonly log: string[],
    private readonly then?: () => void,
  ) {}
  onDeadline(now: number): void {
    this.fired.push(now);
    this.log.push(this.name);
    this.then?.();
  }
}

// the queues read performance.now() and arm setTimeout: both fake, so time moves only by advance()
let clock: FakeClock;
beforeEach(() => {
  clock = useFakeClock();
});
afterEach(() => {
  clock.restore();
});

it('fires in deadline order across durations, once each, not before its time', () => {
  const d = new Deadlines();
  const log: string[] = [];
  const a = new T('a', log);
  const b = new T('b', log);
  const c = new T('c', log);
  const t0 = performance.now();
  d.schedule(a, 60);
  d.schedule(b, 20);
  d.schedule(c, 40);
  clock.advance(19);
  expect(log).toEqual([]);
  clock.advance(1);
  expect(log).toEqual(['b']);
  clock.advance(19);
  expect(log).toEqual(['b']);
  clock.advance(1);
  expect(log).toEqual(['b', 'c']);
  clock.advance(20);
  expect(log).toEqual(['b', 'c', 'a']);
  clock.advance(1000);
  expect(log).toEqual(['b', 'c', 'a']);
  expect([a.fired, b.fired, c.fired]).toEqual([[t0 + 60], [t0 + 20], [t0 + 40]]);
  expect(d.size).toBe(0);
});

it('a cancelled or rescheduled deadline does not fire at its old time', () => {
  const d = new Deadlines();
  const log: string[] = [];
  const a = new T('a', log);
  const b = new T('b', log);
  d.schedule(a, 20);
  d.schedule(b, 20);
  d.cancel(a);
  d.schedule(b, 60); // moves b later: the 20 ms entry is stale
  clock.advance(59);
  expect(log).toEqual([]);
  clock.advance(1);
  expect(log).toEqual(['b']);
  clock.advance(1000);
  expect(log).toEqual(['b']);
});

it('a callback can schedule again (a ping every interval)', () => {
  const d = new Deadlines();
  const log: string[] = [];
  let n = 0;
  const p: T = new T('p', log, () => {
    if (++n < 4) d.schedule(p, 10);
  });
  const t0 = performance.now();
  d.schedule(p, 10);
  clock.advance(9);
  expect(log).toEqual([]);
  clock.advance(1000);
  expect(log).toEqual(['p', 'p', 'p', 'p']);
  // each interval counted from when the callback ran
  expect(p.fired).toEqual([t0 + 10, t0 + 20, t0 + 30, t0 + 40]);
});

it('many entries on one duration fire in insertion order', () => {
  const d = new Deadlines();
  const log: string[] = [];
  const ts = Array.from({ length: 3000 }, (_, i) => new T(String(i), log));
  for (const t of ts) d.schedule(t, 5);
  for (let i = 0; i < ts.length; i += 2) d.cancel(ts[i]!);
  clock.advance(4);
  expect(log).toEqual([]);
  clock.advance(1);
  expect(log).toHaveLength(1500);
  expect(log.slice(0, 3)).toEqual(['1', '3', '5']);
  expect(d.size).toBe(0);
});
