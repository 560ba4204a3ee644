/**
 * The reconnect storm's bookkeeping: after the drop, every device comes back the way
 * device firmware does, with exponential backoff and full jitter (delay = random(0,
 * min(max, initial·2^n))). Workers only report drops, failures and successes; this decides
 * when each device tries again and measures how long until 50/90/99/100% are back.
 */
import type { Recovery } from '../model/summary.js';
import { backoffDelay, Reconnector, type Jitter } from './reconnect.js';

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
  /** the backoff's jitter (default full) */
  jitter?: Jitter;
  /** a broker restarted by someone else: how long to wait for it to drop the connections (default 60 s) */
  waitMs?: number;
}

export type StormPhase = 'ramp' | 'steady' | 'storm' | 'done';

export class StormPolicy {
  phase: StormPhase = 'ramp';
  /** when the storm began: our drop, or the first drop of a restart nobody here triggered (0: not yet) */
  private stormAt = 0;
  private allBackAt = 0;
  private steadySince = 0;
  private waitingSince = 0;
  private readonly r: Reconnector;

  constructor(
    readonly cfg: StormConfig,
    readonly connections: number,
    private readonly random: () => number = Math.random,
  ) {
    const backoff = { initialMs: cfg.initialBackoffMs, maxMs: cfg.maxBackoffMs, jitter: cfg.jitter ?? 'full' };
    this.r = new Reconnector({ ...backoff, maxAttempts: Infinity }, random);
  }

  /** The backoff before a device's n-th retry (n from 0). */
  backoff(n: number): number {
    return backoffDelay(this.r.cfg, n, this.random);
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
   * from the first drop reported.
   */
  dropped(now: number, external = false): void {
    this.phase = 'storm';
    if (!external && this.stormAt === 0) this.stormAt = now;
    this.waitingSince = now;
  }

  /**
   * A held device lost its connection at `now`: it reconnects after a backoff. A drop before
   * the storm began is the storm beginning on its own (a broker restarted during the ramp).
   */
  onDrop(device: number, now: number): void {
    if (this.phase === 'ramp' || this.phase === 'steady') {
      this.phase = 'storm';
      this.waitingSince = now;
    }
    if (this.stormAt === 0) this.stormAt = now;
    this.allBackAt = 0; // drops can come in stages: not all back any more
    this.r.down(device, now, this.stormAt);
  }

  /**
   * An attempt failed: the device tries again after a backoff, whether it was a reconnect,
   * a first attempt the storm kept from connecting (timed as part of the storm), or a first
   * attempt before the storm (retried, not timed).
   */
  onFail(device: number, now: number): void {
    this.r.down(device, now, this.phase === 'storm' ? this.stormAt || now : undefined);
  }

  /** A device connected at `at` (epoch ms). */
  onConnected(device: number, at: number): void {
    this.r.up(device, at);
    if (this.phase === 'storm' && this.stormAt !== 0 && this.r.allBack && this.r.stillDown === 0) this.allBackAt = at;
  }

  /** Reconnects whose backoff has expired by `horizon` (epoch ms). */
  take(horizon: number, out: (device: number, at: number) => void): void {
    this.r.take(horizon, out);
  }

  /**
   * Every device the storm took down is back and the settle time passed; or the deadline
   * after the drop passed; or no drop came within the wait (a restart nobody did).
   */
  finished(now: number, deadlineMs: number): boolean {
    if (this.phase !== 'storm') return false;
    if (this.allBackAt > 0 && now - this.allBackAt >= this.cfg.settleMs) return true;
    if (this.stormAt === 0) return now - this.waitingSince >= (this.cfg.waitMs ?? 60_000);
    return now - this.stormAt >= deadlineMs;
  }

  result(): Recovery {
    return this.r.recovery(this.cfg.drop, this.stormAt === 0 ? null : this.stormAt);
  }
}
