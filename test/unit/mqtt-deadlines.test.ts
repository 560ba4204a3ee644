/** The shared deadline queues: order, cancel, reschedule, several durations, no leftovers. */
import { expect, it } from 'vitest';
import { Deadlines, type Timed } from '../../src/mqtt/deadlines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

it('fires in deadline order across durations, once each, not before its time', async () => {
  const d = new Deadlines();
  const log: string[] = [];
  const a = new T('a', log);
  const b = new T('b', log);
  const c = new T('c', log);
  const t0 = performance.now();
  d.schedule(a, 60);
  d.schedule(b, 20);
  d.schedule(c, 40);
  await sleep(120);
  expect(log).toEqual(['b', 'c', 'a']);
  expect(a.fired[0]! - t0).toBeGreaterThanOrEqual(59);
  expect(b.fired[0]! - t0).toBeGreaterThanOrEqual(19);
  expect(d.size).toBe(0);
});

it('a cancelled or rescheduled deadline does not fire at its old time', async () => {
  const d = new Deadlines();
  const log: string[] = [];
  const a = new T('a', log);
  const b = new T('b', log);
  d.schedule(a, 20);
  d.schedule(b, 20);
  d.cancel(a);
  d.schedule(b, 60); // moves b later: the 20 ms entry is stale
  await sleep(40);
  expect(log).toEqual([]);
  await sleep(50);
  expect(log).toEqual(['b']);
});

it('a callback can schedule again (a ping every interval)', async () => {
  const d = new Deadlines();
  const log: string[] = [];
  let n = 0;
  const p: T = new T('p', log, () => {
    if (++n < 4) d.schedule(p, 10);
  });
  d.schedule(p, 10);
  await sleep(120);
  expect(log).toEqual(['p', 'p', 'p', 'p']);
});

it('many entries on one duration fire in insertion order', async () => {
  const d = new Deadlines();
  const log: string[] = [];
  const ts = Array.from({ length: 3000 }, (_, i) => new T(String(i), log));
  for (const t of ts) d.schedule(t, 5);
  for (let i = 0; i < ts.length; i += 2) d.cancel(ts[i]!);
  await sleep(60);
  expect(log).toHaveLength(1500);
  expect(log.slice(0, 3)).toEqual(['1', '3', '5']);
  expect(d.size).toBe(0);
});
