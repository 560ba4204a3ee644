/**
 * One timer per thread for every connection's deadlines (phase timeouts, keepalive pings,
 * PINGRESP waits). Deadlines with the same duration are added in time order, so each
 * duration is a FIFO queue: scheduling is an append, cancelling is a counter bump (a
 * stale entry is skipped when it reaches the head), and nothing is allocated per
 * deadline once the queues have grown to their working size.
 */
import { performance } from 'node:perf_hooks';

export interface Timed {
  /** bumped on every schedule/cancel; an entry fires only if it still matches */
  deadlineSeq: number;
  onDeadline(now: number): void;
}

class Fifo {
  items: (Timed | undefined)[] = [];
  seqs: number[] = [];
  due: number[] = [];
  head = 0;

  get empty(): boolean {
    return this.head === this.items.length;
  }

  push(t: Timed, seq: number, at: number): void {
    this.items.push(t);
    this.seqs.push(seq);
    this.due.push(at);
  }

  /** Fires every due entry; returns the next due time or Infinity. */
  run(now: number): number {
    while (this.head < this.items.length) {
      const at = this.due[this.head]!;
      if (at > now) break;
      const t = this.items[this.head]!;
      const seq = this.seqs[this.head]!;
      this.items[this.head] = undefined;
      this.head++;
      if (t.deadlineSeq === seq) t.onDeadline(now);
    }
    this.compact();
    return this.head < this.items.length ? this.due[this.head]! : Infinity;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.seqs.length = 0;
      this.due.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.seqs.splice(0, this.head);
      this.due.splice(0, this.head);
      this.head = 0;
    }
  }
}

export class Deadlines {
  private readonly fifos = new Map<number, Fifo>();
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private readonly tick = (): void => this.fire();

  /** `t.onDeadline` runs `ms` from now unless `t` is rescheduled or cancelled first. */
  schedule(t: Timed, ms: number): void {
    const seq = ++t.deadlineSeq;
    const key = Math.max(0, Math.round(ms));
    let q = this.fifos.get(key);
    if (q === undefined) {
      q = new Fifo();
      this.fifos.set(key, q);
    }
    const at = performance.now() + key;
    q.push(t, seq, at);
    if (at < this.armedAt) this.arm(at);
  }

  cancel(t: Timed): void {
    t.deadlineSeq++;
  }

  /** Entries waiting (including cancelled ones not yet skipped), for tests. */
  get size(): number {
    let n = 0;
    for (const q of this.fifos.values()) n += q.items.length - q.head;
    return n;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(this.tick, Math.max(0, at - performance.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [key, q] of this.fifos) {
      const at = q.run(now);
      if (at < next) next = at;
      else if (q.empty && key !== 0) this.fifos.delete(key);
    }
    // a callback may have scheduled (and armed) already
    if (next < this.armedAt) this.arm(next);
  }
}

/** The thread's shared deadlines (each worker thread has its own module instance). */
export const deadlines = new Deadlines();
