/**
 * src/metrics: measurement — HDR histograms (hdr.ts), the workers' recorder, this
 * aggregator, the time series, exact merges of shards, the Prometheus exporter.
 *
 * The coordinator side of measurement: merges worker deltas exactly into cumulative
 * per-phase histograms and counters, tracks the open connections, and keeps a bounded
 * per-second time series. It hands out the pieces of the Summary and live snapshots for
 * the progress line and the Prometheus exporter.
 */
import { addSparse, createHistogram, encodeHistogram, latencyStats, percentileMs, type Hdr } from './hdr.js';
import { FAILURE_PHASES, FAULTS, PHASES, type FailurePhase, type Fault, type Phase } from '../model/names.js';
import type { RecorderDelta } from './recorder.js';
import { SeriesBuilder } from './series.js';
import type { FailureCount, PhaseLatency, ScheduleStats, Summary, TimeSeries } from '../model/summary.js';
import { round } from '../util/numbers.js';
import { MessageTotals, type MessageDelta, type StreamPlan } from './messages.js';

export type Counts = Summary['counts'];
export type Resumption = NonNullable<Summary['resumption']>;
export type SecurityOutcome = Summary['security'][number];

export interface AggregateSnapshot {
  /** seconds since the aggregator started */
  elapsed: number;
  attempted: number;
  connected: number;
  failed: number;
  rejectedAsExpected: number;
  acceptedUnexpectedly: number;
  dropped: number;
  /** sessions the broker ended */
  sessionDrops: number;
  active: number;
  activePeak: number;
  /** connects per second over the last few whole seconds */
  connectRate: number;
  /** end-to-end connect latency so far, ms (null before the first connect) */
  connectP50: number | null;
  connectP99: number | null;
  failures: FailureCount[];
  /** accepted faulty devices per fault (the Prometheus `fault` label) */
  unexpectedByFault: Partial<Record<Fault, number>>;
  /** with traffic: messages published and deliveries received, in all and per second (as connectRate) */
  messages?: { published: number; delivered: number; publishRate: number; deliveryRate: number };
}

export interface AggregatorOptions {
  /** wall-clock ms the run started (default: now) */
  startedAt?: number;
  /** bound on the time series length (default 3600) */
  maxPoints?: number;
  now?: () => number;
  /** the run's traffic streams, in order: the series then carries message counts, the loss among them */
  streams?: readonly StreamPlan[];
}

const RATE_WINDOW_S = 5;

export class Aggregator {
  /** traffic, added up over every thread */
  readonly messages = new MessageTotals();
  readonly #hist = new Map<Phase, Hdr>(PHASES.map((p) => [p, createHistogram('cumulative')]));
  readonly #failures = new Map<string, FailureCount>();
  readonly #resumedTls: Hdr = createHistogram('cumulative');
  #resumed = 0;
  #reconnects = 0;
  #offered = 0;
  readonly #startLag: Hdr = createHistogram('cumulative');
  #scheduled = { count: 0, waited: 0, firstIntended: Infinity, lastIntended: -Infinity, lastStarted: -Infinity };
  readonly #security = new Map<Fault, SecurityOutcome>();
  readonly #activeByWorker = new Map<number, number>();
  readonly #series: SeriesBuilder;
  readonly #now: () => number;
  readonly #startedAt: number;
  /** connects per whole wall-clock second, for the live rate */
  readonly #recent = new Map<number, number>();
  readonly #streams: readonly StreamPlan[];
  /** messages published and delivered per whole wall-clock second, for the live rates */
  readonly #recentMessages = new Map<number, { published: number; delivered: number }>();
  /** per stream, the loss already put in the series */
  readonly #lostInSeries = new Map<number, number>();
  #counts: Counts = {
    attempted: 0,
    connected: 0,
    failed: 0,
    rejected_as_expected: 0,
    accepted_unexpectedly: 0,
    active_peak: 0,
    dropped: 0,
    session_drops: 0,
  };

  constructor(options: AggregatorOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#startedAt = options.startedAt ?? this.#now();
    this.#streams = options.streams ?? [];
    this.#series = new SeriesBuilder(this.#startedAt, {
      ...(options.maxPoints === undefined ? {} : { maxPoints: options.maxPoints }),
      traffic: this.#streams.length > 0,
    });
  }

  /** Merges one worker's delta. `workerId` identifies whose open-connection count this is. */
  ingest(delta: RecorderDelta, workerId: number): void {
    if (delta.messages !== null) this.messages.ingest(delta.messages, delta.to);
    const c = this.#counts;
    c.attempted += delta.attempts;
    c.connected += delta.connected;
    c.dropped += delta.dropped;
    for (const phase of PHASES) {
      const sparse = delta.phases[phase];
      if (sparse !== undefined) addSparse(this.#hist.get(phase) as Hdr, sparse);
    }
    this.#resumed += delta.resumed;
    if (delta.resumedTls !== null) addSparse(this.#resumedTls, delta.resumedTls);
    this.#reconnects += delta.reconnects;
    this.#offered += delta.offered;
    if (delta.schedule !== null) this.#ingestSchedule(delta.schedule);
    let failed = 0;
    for (const [phase, reason, n] of delta.failures) {
      // a drop after CONNACK is not a failed attempt: a session the broker ended
      if (phase !== 'session') failed += n;
      else c.session_drops += n;
      const key = `${phase}\u0000${reason}`;
      const f = this.#failures.get(key);
      if (f === undefined) this.#failures.set(key, { phase, reason, count: n });
      else f.count += n;
    }
    c.failed += failed;
    for (const [phase, reason, example] of delta.examples) {
      const f = this.#failures.get(`${phase}\u0000${reason}`);
      if (f !== undefined && f.example === undefined) f.example = example;
    }
    let rejected = 0;
    let unexpected = 0;
    for (const d of delta.security) {
      let s = this.#security.get(d.fault);
      if (s === undefined) {
        s = { fault: d.fault, expected_rejections: 0, rejected: 0, accepted: 0, reasons: {} };
        this.#security.set(d.fault, s);
      }
      s.expected_rejections += d.rejected + d.accepted + d.otherFailures;
      s.rejected += d.rejected;
      s.accepted += d.accepted;
      for (const [reason, n] of d.reasons) s.reasons[reason] = (s.reasons[reason] ?? 0) + n;
      rejected += d.rejected;
      unexpected += d.accepted;
    }
    c.rejected_as_expected += rejected;
    c.accepted_unexpectedly += unexpected;

    // Open connections: the sum of every worker's latest level. A worker's own peak inside
    // the interval bounds the total from below (exact with one worker).
    this.#activeByWorker.set(workerId, delta.active);
    const active = this.active;
    c.active_peak = Math.max(c.active_peak, active, delta.activePeak);

    const sec = Math.floor(delta.to / 1000);
    this.#recent.set(sec, (this.#recent.get(sec) ?? 0) + delta.connected);
    for (const s of this.#recent.keys()) if (s < sec - RATE_WINDOW_S * 2) this.#recent.delete(s);
    this.#series.add(
      delta.to,
      {
        attempts: delta.attempts,
        connected: delta.connected,
        failed,
        rejected,
        unexpected,
        failures: delta.failures.map(([, r, n]) => [r, n] as const),
      },
      delta.phases.connect,
      Math.max(active, delta.activePeak),
    );
    this.#seriesMessages(delta, sec);
  }

  /** Messages of a thread without connections (the traffic's extra clients), their interval ended at `at`. */
  ingestMessages(messages: MessageDelta, at: number): void {
    this.messages.ingest(messages, at);
    this.#seriesMessages({ messages, to: at }, Math.floor(at / 1000));
  }

  /** A delta's messages into the series and the live rates, and the loss found since the last delta. */
  #seriesMessages(delta: Pick<RecorderDelta, 'messages' | 'to'>, sec: number): void {
    const m = { published: 0, delivered: 0, late: 0 };
    for (const [, c] of delta.messages?.streams ?? []) {
      m.published += c.published;
      m.delivered += c.delivered;
      m.late += c.late;
    }
    if (m.published + m.delivered > 0) {
      const r = this.#recentMessages.get(sec) ?? { published: 0, delivered: 0 };
      r.published += m.published;
      r.delivered += m.delivered;
      this.#recentMessages.set(sec, r);
      for (const s of this.#recentMessages.keys()) if (s < sec - RATE_WINDOW_S * 2) this.#recentMessages.delete(s);
    }
    const lost = this.#newLoss(delta.to);
    if (m.published + m.delivered + m.late + lost > 0) this.#series.addMessages(delta.to, { ...m, lost });
  }

  /** Deliveries counted lost (MessageTotals.lost: live, exact once the run ended) and not in the series yet. */
  #newLoss(at: number): number {
    let n = 0;
    this.#streams.forEach((p, i) => {
      const lost = this.messages.lost(i, p.receivers, at);
      const before = this.#lostInSeries.get(i) ?? 0;
      if (lost > before) {
        n += lost - before;
        this.#lostInSeries.set(i, lost);
      }
    });
    return n;
  }

  /** Connections open now, over all workers. */
  /** The aggregator's clock (epoch ms; a test's fake one). */
  now(): number {
    return this.#now();
  }

  get active(): number {
    let n = 0;
    for (const v of this.#activeByWorker.values()) n += v;
    return n;
  }

  /** The cumulative histogram of a phase (microseconds); read it, don't record into it. */
  histogram(phase: Phase): Hdr {
    return this.#hist.get(phase) as Hdr;
  }

  snapshot(now: number = this.#now()): AggregateSnapshot {
    const c = this.#counts;
    const connect = this.histogram('connect');
    const unexpectedByFault: Partial<Record<Fault, number>> = {};
    for (const s of this.#security.values()) if (s.accepted > 0) unexpectedByFault[s.fault as Fault] = s.accepted;
    return {
      elapsed: Math.max(0, (now - this.#startedAt) / 1000),
      attempted: c.attempted,
      connected: c.connected,
      failed: c.failed,
      rejectedAsExpected: c.rejected_as_expected,
      acceptedUnexpectedly: c.accepted_unexpectedly,
      dropped: c.dropped,
      sessionDrops: c.session_drops,
      active: this.active,
      activePeak: c.active_peak,
      connectRate: this.#connectRate(now),
      connectP50: percentileMs(connect, 50),
      connectP99: percentileMs(connect, 99),
      failures: this.failures(),
      unexpectedByFault,
      ...(this.#streams.length > 0 || this.messages.any ? { messages: this.#messageSnapshot(now) } : {}),
    };
  }

  #messageSnapshot(now: number): NonNullable<AggregateSnapshot['messages']> {
    let published = 0;
    let delivered = 0;
    for (const c of this.messages.streams.values()) {
      published += c.published;
      delivered += c.delivered;
    }
    const current = Math.floor(now / 1000);
    const elapsed = (now - this.#startedAt) / 1000;
    if (elapsed < RATE_WINDOW_S + 1) {
      const per = (n: number): number => (elapsed > 0 ? n / elapsed : 0);
      return { published, delivered, publishRate: per(published), deliveryRate: per(delivered) };
    }
    let p = 0;
    let d = 0;
    for (const [s, v] of this.#recentMessages) {
      if (s < current && s >= current - RATE_WINDOW_S) {
        p += v.published;
        d += v.delivered;
      }
    }
    return { published, delivered, publishRate: p / RATE_WINDOW_S, deliveryRate: d / RATE_WINDOW_S };
  }

  /** Per phase: stats in ms and the encoded histogram (Summary.latency). */
  latency(): Record<Phase, PhaseLatency> {
    const out = {} as Record<Phase, PhaseLatency>;
    for (const phase of PHASES) {
      const h = this.histogram(phase);
      out[phase] = { ...latencyStats(h), hdr: encodeHistogram(h) };
    }
    return out;
  }

  /**
   * Full and resumed TLS handshakes side by side, with the share asked for (`askedRatio`, the
   * run's resume_ratio) and the reconnects that could offer a session; undefined when no
   * resumption was asked for and none happened.
   */
  resumption(askedRatio = 0): Resumption | undefined {
    if (this.#resumed === 0 && askedRatio === 0) return undefined;
    const full = this.histogram('tls');
    return {
      full: full.totalCount,
      resumed: this.#resumed,
      tls_full: { ...latencyStats(full), hdr: encodeHistogram(full) },
      tls_resumed: { ...latencyStats(this.#resumedTls), hdr: encodeHistogram(this.#resumedTls) },
      asked_ratio: askedRatio,
      reconnects: this.#reconnects,
      offered: this.#offered,
    };
  }

  /** How the open-loop attempts kept to their intended starts; undefined when none started (a closed loop). */
  schedule(inFlightCap: number): ScheduleStats | undefined {
    const s = this.#scheduled;
    if (s.count === 0) return undefined;
    return scheduleStats({ ...s, inFlightCap, lag: this.#startLag });
  }

  #ingestSchedule(d: NonNullable<RecorderDelta['schedule']>): void {
    const s = this.#scheduled;
    s.count += d.count;
    s.waited += d.waited;
    s.firstIntended = Math.min(s.firstIntended, d.firstIntended);
    s.lastIntended = Math.max(s.lastIntended, d.lastIntended);
    s.lastStarted = Math.max(s.lastStarted, d.lastStarted);
    addSparse(this.#startLag, d.lag);
  }

  counts(): Counts {
    return { ...this.#counts };
  }

  /** Failures by phase and reason, most frequent first. */
  failures(): FailureCount[] {
    return sortFailures([...this.#failures.values()].map((f) => ({ ...f })));
  }

  /** Per fault kind, how the faulty devices ended, in the order of FAULTS. */
  security(): SecurityOutcome[] {
    return FAULTS.flatMap((f) => {
      const s = this.#security.get(f);
      return s === undefined ? [] : [{ ...s, reasons: sortRecord(s.reasons) }];
    });
  }

  /**
   * The series so far. Loss found since the last delta goes into the point of now: once the
   * run has ended (messages.end()), whatever the live count had not reached yet.
   */
  series(): TimeSeries {
    const now = this.#now();
    const lost = this.#newLoss(now);
    if (lost > 0) this.#series.addMessages(now, { lost });
    return this.#series.series();
  }

  #connectRate(now: number): number {
    const current = Math.floor(now / 1000);
    const elapsed = (now - this.#startedAt) / 1000;
    if (elapsed < RATE_WINDOW_S + 1) {
      return elapsed > 0 ? this.#counts.connected / elapsed : 0;
    }
    let n = 0;
    for (const [s, v] of this.#recent) if (s < current && s >= current - RATE_WINDOW_S) n += v;
    return n / RATE_WINDOW_S;
  }
}

/** The schedule section from its counts, times (epoch ms) and start-lag histogram (µs); also for merges. */
export function scheduleStats(s: {
  count: number;
  waited: number;
  firstIntended: number;
  lastIntended: number;
  lastStarted: number;
  inFlightCap: number;
  lag: Hdr;
}): ScheduleStats {
  const per = (spanMs: number): number | null =>
    s.count < 2 || spanMs <= 0 ? null : round(((s.count - 1) * 1000) / spanMs);
  return {
    attempts: s.count,
    first_intended: new Date(s.firstIntended).toISOString(),
    last_intended: new Date(s.lastIntended).toISOString(),
    last_started: new Date(s.lastStarted).toISOString(),
    asked_per_second: per(s.lastIntended - s.firstIntended),
    achieved_per_second: per(s.lastStarted - s.firstIntended),
    start_lag: { ...latencyStats(s.lag), hdr: encodeHistogram(s.lag) },
    waited_for_in_flight: s.waited,
    in_flight_cap: s.inFlightCap,
  };
}

export function sortFailures(list: FailureCount[]): FailureCount[] {
  const order = (p: FailurePhase): number => FAILURE_PHASES.indexOf(p);
  return list.sort((a, b) => b.count - a.count || order(a.phase) - order(b.phase) || a.reason.localeCompare(b.reason));
}

export function sortRecord(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}
