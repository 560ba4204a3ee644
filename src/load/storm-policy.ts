/**
 * The reconnect storm's bookkeeping: after the drop, every device comes back the way
 * device firmware does, with exponential backoff and full jitter (delay = random(0,
 * min(max, initial·2^n))). Workers only report drops, failures and successes; this decides
 * when each device tries again and measures how long until 50/90/99/100% are back.
 */
import { createHistogram, recordMicros, encodeHistogram, type Hdr } from '../metrics/hdr.js';
import type { Recovery } from '../model/summary.js';

export interface StormConfig {
  /** how the connections are dropped: the (embedded) broker restarts, or the generator cuts them */
  drop: 'broker-restart' | 'disconnect';
  /** how long the broker stays down on a restart */
  downMs: number;
  /** reconnect backoff: exponential from initial, capped at max, full jitter */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** how long to wait after every device is back (or the deadline) before ending */
  settleMs: number;
}

/** A min-heap of (time, device): reconnects waiting for their backoff to expire. */
class Due {
  private t: number[] = [];
  private d: number[] = [];
  get size(): number {
    return this.t.length;
  }
  push(time: number, device: number): void {
    const t = this.t;
    const d = this.d;
    let i = t.length;
    t.push(time);
    d.push(device);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (t[p]! <= time) break;
      t[i] = t[p]!;
      d[i] = d[p]!;
      i = p;
    }
    t[i] = time;
    d[i] = device;
  }
  peek(): number | undefined {
    return this.t[0];
  }
  pop(): { time: number; device: number } {
    const t = this.t;
    const d = this.d;
    const top = { time: t[0]!, device: d[0]! };
    const lt = t.pop()!;
    const ld = d.pop()!;
    if (t.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= t.length) break;
        const c = l + 1 < t.length && t[l + 1]! < t[l]! ? l + 1 : l;
        if (t[c]! >= lt) break;
        t[i] = t[c]!;
        d[i] = d[c]!;
        i = c;
      }
      t[i] = lt;
      d[i] = ld;
    }
    return top;
  }
}

export type StormPhase = 'ramp' | 'steady' | 'storm' | 'done';

export class StormPolicy {
  phase: StormPhase = 'ramp';
  private dropAt = 0;
  private droppedCount = 0;
  private readonly backoffN = new Map<number, number>();
  private readonly due = new Due();
  private readonly recoveredAt: number[] = [];
  private readonly hdr: Hdr = createHistogram('cumulative');
  private attempts = 0;
  private allBackAt = 0;
  private steadySince = 0;
  private waitingSince = 0;

  constructor(
    readonly cfg: StormConfig,
    readonly connections: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Full-jitter exponential backoff for a device's n-th retry (n from 0). */
  backoff(n: number): number {
    const cap = Math.min(this.cfg.maxBackoffMs, this.cfg.initialBackoffMs * 2 ** Math.min(n, 30));
    return this.random() * cap;
  }

  /** Called once the first wave has settled; true when it is time to drop (1 s later). */
  ready(now: number): boolean {
    if (this.phase !== 'ramp' && this.phase !== 'steady') return false;
    if (this.phase === 'ramp') {
      this.phase = 'steady';
      this.steadySince = now;
    }
    return now - this.steadySince >= 1000;
  }

  /**
   * The drop was triggered at `now` (a restart or a cut of ours). `external`: nothing was
   * triggered — an external broker is restarted by whoever runs it — so the storm is timed
   * from the first drop reported, and the deadline from `now`.
   */
  dropped(now: number, external = false): void {
    this.phase = 'storm';
    this.dropAt = external ? 0 : now;
    this.waitingSince = now;
  }

  /** A held device lost its connection (at `now`): its first reconnect waits a full-jitter backoff. */
  onDrop(device: number, now: number): void {
    if (this.phase !== 'storm') return;
    if (this.dropAt === 0) this.dropAt = now;
    this.allBackAt = 0; // drops can come in stages: not all back any more
    this.droppedCount++;
    this.backoffN.set(device, 0);
    this.due.push(now + this.backoff(0), device);
  }

  /** A reconnect attempt failed: back off further. */
  onFail(device: number, now: number): void {
    const prev = this.backoffN.get(device);
    if (prev === undefined) return; // a first-wave failure: not part of the storm
    const n = prev + 1;
    this.backoffN.set(device, n);
    this.due.push(now + this.backoff(n), device);
  }

  /** A reconnect succeeded at `at` (epoch ms). */
  onConnected(device: number, at: number): void {
    if (!this.backoffN.delete(device)) return;
    this.recoveredAt.push(at - this.dropAt);
    recordMicros(this.hdr, (at - this.dropAt) * 1000);
    if (this.recoveredAt.length === this.droppedCount && this.due.size === 0) this.allBackAt = at;
  }

  /** Reconnects whose backoff has expired by `horizon` (epoch ms). */
  take(horizon: number, out: (device: number, at: number) => void): void {
    while (this.due.size > 0 && this.due.peek()! <= horizon) {
      const { time, device } = this.due.pop();
      this.attempts++;
      out(device, time);
    }
  }

  /** Every dropped device is back and the settle time passed, or the deadline passed. */
  finished(now: number, deadlineMs: number): boolean {
    if (this.phase !== 'storm') return false;
    if (this.allBackAt > 0 && now - this.allBackAt >= this.cfg.settleMs) return true;
    return now - (this.dropAt || this.waitingSince) >= deadlineMs;
  }

  result(): Recovery {
    const sorted = [...this.recoveredAt].sort((a, b) => a - b);
    const share = (q: number): number | null => {
      if (this.droppedCount === 0) return null;
      const need = Math.ceil(q * this.droppedCount);
      return need <= sorted.length ? Math.round(sorted[need - 1]!) : null;
    };
    const perSecond = new Map<number, number>();
    for (const t of sorted) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    return {
      drop: this.cfg.drop,
      dropped_at: this.dropAt ? new Date(this.dropAt).toISOString() : null,
      dropped: this.droppedCount,
      recovered: sorted.length,
      t50_ms: share(0.5),
      t90_ms: share(0.9),
      t99_ms: share(0.99),
      t100_ms: share(1),
      reconnect_attempts: this.attempts,
      peak_connect_rate: Math.max(0, ...perSecond.values()),
      hdr: encodeHistogram(this.hdr),
    };
  }
}
