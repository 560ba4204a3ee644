/**
 * The metrics a threshold can name, and how each is read off a summary. Three kinds:
 *   duration  a phase's merged HDR histogram: p(N), avg, min, max, med, count (ms)
 *   ratio     counts: `rate` is hits / out of (null when out of is 0), `count` the hits
 *   recovery  a storm's recovery times, as shares of the devices that were dropped
 * A value that cannot be read (a percentile of nothing, a rate over nothing) is null: a
 * gate that cannot be checked does not pass.
 */
import { createHistogram, decodeHistogram, percentileMs, type Hdr } from '../metrics/hdr.js';
import type { Phase } from '../model/names.js';
import type { MessagePhase } from '../model/messages.js';
import type { Summary } from '../model/summary.js';

export type Aggregation =
  { kind: 'p'; percentile: number } | { kind: 'avg' | 'min' | 'max' | 'med' | 'rate' | 'count' };

type Counts = Summary['counts'];
type Ratio = (c: Counts) => { hits: number; of: number };

type Messages = NonNullable<Summary['messages']>;
type MessageRatio = (m: Messages) => { hits: number; of: number };

export type MetricSpec =
  | { kind: 'duration'; phase: Phase | MessagePhase; about: string }
  | { kind: 'ratio'; ratio: Ratio; about: string }
  | { kind: 'messages'; ratio: MessageRatio; about: string }
  | { kind: 'recovery'; about: string };

const total = (m: Messages, f: (s: Messages[string]) => number): number =>
  Object.values(m).reduce((a, s) => a + f(s), 0);

export const METRICS = {
  connect_duration: { kind: 'duration', phase: 'connect', about: 'end to end, from the intended start to CONNACK' },
  tcp_duration: { kind: 'duration', phase: 'tcp', about: 'TCP connect' },
  tls_duration: { kind: 'duration', phase: 'tls', about: 'TLS handshake (full ones)' },
  ws_duration: { kind: 'duration', phase: 'ws', about: 'WebSocket upgrade (ws://, wss://)' },
  connack_duration: { kind: 'duration', phase: 'connack', about: 'CONNECT → CONNACK' },
  subscribe_duration: { kind: 'duration', phase: 'subscribe', about: 'SUBSCRIBE → SUBACK' },
  connected: {
    kind: 'ratio',
    ratio: (c) => ({ hits: c.connected, of: c.connected + c.failed }),
    about: 'connections established (rate: of the attempts of good devices that ended)',
  },
  connect_failures: {
    kind: 'ratio',
    ratio: (c) => ({ hits: c.failed, of: c.connected + c.failed }),
    about: 'failed attempts of good devices (rate: of those that ended)',
  },
  session_drops: {
    kind: 'ratio',
    ratio: (c) => ({ hits: c.session_drops, of: c.connected }),
    about: 'sessions the broker ended before the run did (rate: of the connections established)',
  },
  unexpected_accepts: {
    kind: 'ratio',
    ratio: (c) => ({ hits: c.accepted_unexpectedly, of: c.rejected_as_expected + c.accepted_unexpectedly }),
    about: 'faulty credentials the broker accepted (rate: of the faulty devices it judged)',
  },
  /** a storm of reconnects: time from the drop until a device was back (percentiles over the dropped devices) */
  recovery_duration: { kind: 'recovery', about: 'time from the drop until a dropped device was back' },
  publish_ack_duration: {
    kind: 'duration',
    phase: 'publish_ack',
    about: 'intended send → PUBACK (QoS 1) / PUBCOMP (QoS 2)',
  },
  delivery_duration: { kind: 'duration', phase: 'delivery', about: 'intended send → received by a subscriber' },
  command_rtt: { kind: 'duration', phase: 'command_rtt', about: 'command sent (intended) → its response received' },
  message_loss: {
    kind: 'messages',
    ratio: (m) => {
      const lost = total(m, (s) => s.lost);
      return { hits: lost, of: lost + total(m, (s) => s.delivered - s.duplicated) };
    },
    about: 'deliveries expected and never received (rate: of the deliveries expected)',
  },
  late_messages: {
    kind: 'messages',
    ratio: (m) => ({ hits: total(m, (s) => s.late), of: total(m, (s) => s.published) }),
    about: 'messages sent later than their schedule allowed (rate: of those published)',
  },
} as const satisfies Record<string, MetricSpec>;

export type ThresholdMetric = keyof typeof METRICS;
export const THRESHOLD_METRICS = Object.keys(METRICS) as ThresholdMetric[];

/** The aggregations each kind takes, as written in an expression. */
export const AGGREGATIONS: Record<MetricSpec['kind'], readonly string[]> = {
  duration: ['p(N)', 'avg', 'min', 'max', 'med', 'count'],
  ratio: ['rate', 'count'],
  messages: ['rate', 'count'],
  recovery: ['p(N)', 'max', 'med', 'count'],
};

export type ThresholdInput = Pick<Summary, 'latency' | 'counts'> & Partial<Pick<Summary, 'recovery' | 'messages'>>;

/** A metric's value on a summary for one aggregation; `histogram` decodes a phase (callers cache it). */
export function readMetric(
  metric: ThresholdMetric,
  a: Aggregation,
  data: ThresholdInput,
  histogram: (p: Phase | MessagePhase) => Hdr = (p) => decode(data.latency[p]?.hdr),
): number | null {
  const spec: MetricSpec = METRICS[metric];
  if (spec.kind === 'recovery') return recoveryValue(a, data.recovery);
  if (spec.kind === 'ratio' || spec.kind === 'messages') {
    if (spec.kind === 'messages' && data.messages === undefined) return null;
    const { hits, of } = spec.kind === 'ratio' ? spec.ratio(data.counts) : spec.ratio(data.messages!);
    if (a.kind === 'count') return hits;
    return of === 0 ? null : hits / of;
  }
  const h = histogram(spec.phase);
  if (a.kind === 'count') return h.totalCount;
  if (h.totalCount === 0) return null;
  switch (a.kind) {
    case 'p':
      return percentileMs(h, a.percentile);
    case 'med':
      return percentileMs(h, 50);
    case 'min':
      return Math.round(h.lowestEquivalentValue(h.getValueAtPercentile(0))) / 1000;
    case 'max':
      return percentileMs(h, 100);
    case 'avg':
      return Math.round(h.mean) / 1000;
    default:
      return null;
  }
}

/** A phase's histogram (an empty one when the summary has no such phase: a value of null). */
function decode(hdr: string | undefined): Hdr {
  return hdr === undefined ? createHistogram('cumulative') : decodeHistogram(hdr);
}

/**
 * Recovery times are shares of the devices that were dropped, not of those that came back:
 * p(99) is the time by which 99% of the dropped devices were back, and has no value (the
 * threshold fails) when fewer than 99% ever came back.
 */
function recoveryValue(a: Aggregation, r: Summary['recovery']): number | null {
  if (r === undefined || r.dropped === 0) return null;
  if (a.kind === 'count') return r.recovered;
  const q = a.kind === 'p' ? a.percentile : a.kind === 'med' ? 50 : a.kind === 'max' ? 100 : null;
  if (q === null) return null;
  const need = Math.ceil((q / 100) * r.dropped);
  if (need > r.recovered || r.recovered === 0) return null;
  return percentileMs(decodeHistogram(r.hdr), Math.min(100, (need / r.recovered) * 100));
}
