/**
 * Devices that try again the way device firmware does: a failed connect or a dropped
 * session is retried after an exponential backoff with jitter (the AWS IoT device SDKs:
 * 1 s doubling to 128 s, full jitter), until the device is back or gives up. The
 * Reconnector keeps the waiting devices in a heap and times how long each was down; the
 * reconnect storm uses it, and `reconnect` (scenario or --reconnect) puts it under any
 * executor that keeps devices connected.
 */
import { createHistogram, encodeHistogram, recordMicros, type Hdr } from '../metrics/hdr.js';
import type { Recovery } from '../model/summary.js';
import { formatMs } from '../model/units.js';
import type { Explanation } from './executor.js';
import type { LoadPolicy } from './policy.js';

export type Jitter = 'full' | 'equal' | 'none';

export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
  /** full: random(0, d); equal: d/2 + random(0, d/2); none: d — where d = min(max, initial·2^n) */
  jitter: Jitter;
  /** retries per device before it gives up (Infinity: never) */
  maxAttempts: number;
}

/** The AWS IoT device SDKs' reconnect backoff, bounded so a load run ends. */
export const DEVICE_BACKOFF: BackoffConfig = { initialMs: 1000, maxMs: 128_000, jitter: 'full', maxAttempts: 10 };

/** The wait before a device's n-th retry (n from 0). */
export function backoffDelay(cfg: BackoffConfig, n: number, random: () => number): number {
  const cap = Math.min(cfg.maxMs, cfg.initialMs * 2 ** Math.min(n, 30));
  if (cfg.jitter === 'none') return cap;
  if (cfg.jitter === 'equal') return cap / 2 + (random() * cap) / 2;
  return random() * cap;
}

/** A min-heap of (time, device): retries waiting for their backoff to expire. */
class Due {
  private readonly t: number[] = [];
  private readonly d: number[] = [];
  get size(): number {
    return this.t.length;
  }
  push(time: number, device: number): void {
    const { t, d } = this;
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
    const { t, d } = this;
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

export class Reconnector {
  private readonly due = new Due();
  /** devices down now: retries so far, and the moment their recovery is timed from (undefined: not timed) */
  private readonly downs = new Map<number, { tries: number; since: number | undefined }>();
  private readonly backTimes: number[] = [];
  private readonly hdr: Hdr = createHistogram('cumulative');
  /** devices that went down (timed ones), devices that gave up, retries started */
  timedDown = 0;
  gaveUp = 0;
  attempts = 0;

  constructor(
    readonly cfg: BackoffConfig,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * A device failed to connect or lost its session at `at`: it tries again after a backoff.
   * `since`: when its recovery is timed from (undefined: it is retried, not timed).
   */
  down(device: number, at: number, since?: number): void {
    let d = this.downs.get(device);
    if (d === undefined) {
      d = { tries: 0, since };
      this.downs.set(device, d);
      if (since !== undefined) this.timedDown++;
    } else if (d.since === undefined && since !== undefined) {
      d.since = since;
      this.timedDown++;
    }
    if (d.tries >= this.cfg.maxAttempts) {
      this.downs.delete(device);
      this.gaveUp++;
      return;
    }
    this.due.push(at + backoffDelay(this.cfg, d.tries, this.random), device);
    d.tries++;
  }

  /** The device connected at `at`; returns how long it was down when timed. */
  up(device: number, at: number): number | undefined {
    const d = this.downs.get(device);
    if (d === undefined) return undefined;
    this.downs.delete(device);
    if (d.since === undefined) return undefined;
    const t = Math.max(0, at - d.since);
    this.backTimes.push(t);
    recordMicros(this.hdr, t * 1000);
    return t;
  }

  /** Retries whose backoff has expired by `horizon` (epoch ms). */
  take(horizon: number, out: (device: number, at: number) => void): void {
    while (this.due.size > 0 && this.due.peek()! <= horizon) {
      const { time, device } = this.due.pop();
      if (!this.downs.has(device)) continue; // back by other means (or gave up) before its retry was due
      this.attempts++;
      out(device, time);
    }
  }

  /** Retries still to start. */
  get waiting(): number {
    return this.due.size;
  }

  /** Devices down now (waiting for a retry or with one under way). */
  get stillDown(): number {
    return this.downs.size;
  }

  /** Every timed device is back. */
  get allBack(): boolean {
    return this.backTimes.length === this.timedDown;
  }

  /** How the timed devices came back: shares of those that went down, from the moment each is timed from. */
  recovery(drop: Recovery['drop'], droppedAt: number | null): Recovery {
    const sorted = [...this.backTimes].sort((a, b) => a - b);
    const share = (q: number): number | null => {
      if (this.timedDown === 0) return null;
      const need = Math.ceil(q * this.timedDown);
      return need <= sorted.length ? Math.round(sorted[need - 1]!) : null;
    };
    const perSecond = new Map<number, number>();
    for (const t of sorted) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    return {
      drop,
      dropped_at: droppedAt === null ? null : new Date(droppedAt).toISOString(),
      dropped: this.timedDown,
      recovered: sorted.length,
      not_back: this.timedDown - sorted.length,
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

/**
 * `reconnect` under an executor: failed connects and dropped sessions retry with backoff
 * (instead of whatever the executor would do), each timed from the moment it went down;
 * the run goes on while retries are due. The executor's own policy, if any, still gets the
 * devices that connected and decides the rest.
 */
export function reconnectPolicy(inner: LoadPolicy | undefined, cfg: BackoffConfig, random = Math.random): LoadPolicy {
  const r = new Reconnector(cfg, random);
  let first = 0;
  return {
    onFailed: (d, at) => r.down(d, at, at),
    onDropped: (d, at) => {
      if (first === 0) first = at;
      r.down(d, at, at);
    },
    onConnected: (d, at) => {
      r.up(d, at);
      inner?.onConnected?.(d, at);
    },
    take(horizon, out) {
      inner?.take(horizon, out);
      r.take(horizon, out);
    },
    advance(now, settled, ops) {
      const next = inner?.advance(now, settled, ops) ?? 'quiet';
      return next === 'stop' ? 'stop' : r.stillDown > 0 ? 'wait' : next;
    },
    result: () => ({ ...inner?.result?.(), recovery: r.recovery('reconnect', first === 0 ? null : first) }),
  };
}

const DROP_TEXT: Record<Recovery['drop'], string> = {
  'broker-restart': 'the broker restarted',
  disconnect: 'every connection was cut from the generator side (a network outage)',
  reconnect: 'the first device went down',
};

/** How the devices that went down came back, in words and a table (the console and the report show it). */
export function explainRecovery(r: Recovery | undefined): Explanation | undefined {
  if (r === undefined) return undefined;
  const t = (v: number | null): string => (v === null ? 'not reached' : formatMs(v));
  const shares: [string, number | null][] = [
    ['50%', r.t50_ms],
    ['90%', r.t90_ms],
    ['99%', r.t99_ms],
    ['100%', r.t100_ms],
  ];
  const notBack = r.not_back ?? r.dropped - r.recovered;
  const storm = r.drop !== 'reconnect';
  const how = storm
    ? 'Every dropped device reconnected with exponential backoff and jitter, as device firmware does'
    : 'Every device that failed to connect or lost its session tried again with exponential backoff and jitter';
  const text =
    r.dropped === 0
      ? storm
        ? 'No connection was dropped: the broker was not restarted (or nothing noticed) before the wait ended, so nothing recovered.'
        : 'No device went down: nothing to recover.'
      : `At ${r.dropped_at ?? '–'} ${DROP_TEXT[r.drop]}. ${how}; ${r.reconnect_attempts} retries in all, at most ` +
        `${r.peak_connect_rate} back in one second.` +
        (notBack > 0 ? ` ${notBack} never came back before the run ended.` : '');
  return {
    id: 'recovery',
    title: storm ? 'Reconnect storm: recovery' : 'Reconnects: recovery',
    headline: `${r.recovered} of ${r.dropped} back`,
    text,
    table: { head: ['share of the devices that went down, back', 'time'], rows: shares.map(([k, v]) => [k, t(v)]) },
    lines:
      r.dropped === 0
        ? [`${r.drop}: no device went down${storm ? ' (no drop seen)' : ''}`]
        : [
            `${r.drop} at ${r.dropped_at ?? '-'} · ${r.recovered}/${r.dropped} back after ${r.reconnect_attempts} retries` +
              (notBack > 0 ? ` · ${notBack} never back` : ''),
            `${shares.map(([k, v]) => `${k} ${t(v)}`).join(' · ')} · peak ${r.peak_connect_rate} back/s`,
          ],
  };
}
