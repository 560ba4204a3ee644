/**
 * One timer per thread for every device's message schedule: a binary min-heap of (epoch
 * ms, item) behind a single setTimeout armed for the earliest. Whatever is due when it
 * fires runs in time order, late ones included (a generator that fell behind catches up
 * and its messages count late; nothing is skipped).
 */
import { epochNow } from '../util/clock.js';

export class Ticker<T> {
  private readonly at: number[] = [];
  private readonly items: T[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;
  private armedAt = Infinity;
  private readonly tick = (): void => this.fire();

  constructor(private readonly run: (item: T, at: number) => void) {}

  get size(): number {
    return this.at.length;
  }

  /** `run(item, at)` at epoch ms `at` (at once, if it has passed). */
  schedule(at: number, item: T): void {
    const a = this.at;
    const it = this.items;
    let i = a.length;
    a.push(at);
    it.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= at) break;
      a[i] = a[p]!;
      it[i] = it[p]!;
      i = p;
    }
    a[i] = at;
    it[i] = item;
    if (at < this.armedAt) this.arm(at);
  }

  clear(): void {
    this.at.length = 0;
    this.items.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private pop(): void {
    const a = this.at;
    const it = this.items;
    const lastAt = a.pop()!;
    const last = it.pop()!;
    const n = a.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && a[c + 1]! < a[c]!) c++;
      if (a[c]! >= lastAt) break;
      a[i] = a[c]!;
      it[i] = it[c]!;
      i = c;
    }
    a[i] = lastAt;
    it[i] = last;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(this.tick, Math.max(0, at - epochNow()));
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = epochNow();
    while (this.at.length > 0 && this.at[0]! <= now + 0.5) {
      const at = this.at[0]!;
      const item = this.items[0]!;
      this.pop();
      this.run(item, at);
    }
    if (this.at.length > 0 && this.at[0]! < this.armedAt) this.arm(this.at[0]!);
  }
}
