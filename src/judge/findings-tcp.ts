/**
 * Findings of the TCP layer under MQTT: SYN retries (TCP connects clustered at ~1 s and ~3 s),
 * listen-queue overflows counted by the kernel, and CONNACKs held back ~40 ms by Nagle's
 * algorithm and the delayed ACK. The thresholds are findings.ts's FINDING_LIMITS.
 */
import { decodeHistogram, type Hdr } from '../metrics/hdr.js';
import type { Finding, Summary } from '../model/summary.js';
import { formatMs } from '../model/units.js';

/** The thresholds these findings take (FINDING_LIMITS). */
export interface TcpLimits {
  minCount: number;
  synBands: readonly (readonly [number, number])[];
  synMinShare: number;
  nagleBand: readonly [number, number];
  nagleMinShare: number;
  clusterRatio: number;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const pct = (x: number): string => `${x < 0.1 ? Math.round(x * 1000) / 10 : Math.round(x * 100)}%`;

/** How much the kernel's TCP counters of this machine's network namespace rose during the run. */
export interface NetCounters {
  /** SYNs resent (TcpExt TCPSynRetrans) */
  synRetransmits: number;
  /** connections a full accept queue turned away (TcpExt ListenOverflows) */
  listenOverflows: number;
}

/** Values of a histogram (µs) in [loMs, hiMs). */
function countBetween(h: Hdr, loMs: number, hiMs: number): number {
  const lo = h.countsArrayIndex(Math.round(loMs * 1000));
  const hi = Math.min(h.countsArrayIndex(Math.round(hiMs * 1000)), h.countsArrayLength);
  let n = 0;
  for (let i = lo; i < hi; i++) n += h.getCountAtIndex(i);
  return n;
}

/**
 * Values in a band when they stand out (a cluster), else 0: against the equally wide bands
 * either side, or (`belowOnly`) the one below, when something else shows what follows.
 */
function cluster(
  h: Hdr,
  [lo, hi]: readonly [number, number],
  minShare: number,
  L: TcpLimits,
  belowOnly = false,
): number {
  const n = countBetween(h, lo, hi);
  const w = hi - lo;
  const below = countBetween(h, Math.max(0, lo - w), lo);
  const around = belowOnly ? below : Math.max(below, countBetween(h, hi, hi + w));
  const enough = n >= L.minCount && n >= minShare * h.totalCount && n >= L.clusterRatio * around;
  return enough ? n : 0;
}

function histogramOf(s: Summary, phase: 'tcp' | 'connack'): Hdr | undefined {
  if (s.latency[phase].count === 0) return undefined;
  try {
    return decodeHistogram(s.latency[phase].hdr);
  } catch {
    return undefined;
  }
}

interface SynClusters {
  once: number;
  twice: number;
}

/**
 * TCP connects clustered at ~1 s and ~3 s. A stalled event loop makes a cluster too
 * (connects started just before the stall all end after it), of any length: when the
 * kernel's counters are known they must show resent SYNs, and then only the band below
 * must be emptier (after a retry more retries and a loaded broker fill what follows).
 */
function synClusters(s: Summary, net: NetCounters | undefined, L: TcpLimits): SynClusters | undefined {
  const h = histogramOf(s, 'tcp');
  if (h === undefined || (net !== undefined && net.synRetransmits < L.minCount)) return undefined;
  const [once, twice] = L.synBands.map((b) => cluster(h, b, L.synMinShare, L, net !== undefined)) as [number, number];
  return once + twice === 0 ? undefined : { once, twice };
}

function synRetries(s: Summary, syn: SynClusters, net: NetCounters | undefined): Finding {
  const tcp = s.latency.tcp;
  return {
    code: 'syn_retries',
    severity: 'warning',
    message:
      `${syn.once} TCP connects took ~1 s and ${syn.twice} ~3 s, far above the rest (p50 ${formatMs(tcp.p50)}): Linux ` +
      'resends an unanswered SYN after 1 s and again 2 s later, so the broker dropped these SYNs because its listen ' +
      "backlog overflowed. Lower --in-flight below the broker's backlog (mosquitto listens with 100) or raise it (the " +
      "broker's listen backlog, net.core.somaxconn, net.ipv4.tcp_max_syn_backlog).",
    evidence: {
      tcp_count: tcp.count,
      tcp_p50_ms: tcp.p50,
      near_1s: syn.once,
      near_3s: syn.twice,
      kernel_syn_retransmits: net?.synRetransmits ?? null,
    },
  };
}

/** The kernel turned connections away from a full accept queue (counted when the broker, `broker`, runs here). */
function listenBacklog(net: NetCounters, broker: string, syn: SynClusters | undefined): Finding {
  const retries = syn === undefined ? '' : ` (${syn.once} TCP connects took ~1 s and ${syn.twice} ~3 s)`;
  return {
    code: 'listen_backlog',
    severity: 'warning',
    message:
      `The kernel counted ${net.listenOverflows} listen-queue overflows during the run: connections ${broker} had not ` +
      `accepted yet filled its listen backlog, and the kernel dropped their handshakes, which the client resends after ` +
      `a second or more${retries}. Lower --in-flight below the broker's backlog (mosquitto listens with 100) or raise it.`,
    evidence: {
      listen_overflows: net.listenOverflows,
      syn_retransmits: net.synRetransmits,
      near_1s: syn?.once ?? null,
      near_3s: syn?.twice ?? null,
    },
  };
}

/**
 * What the TCP layer shows: a listen backlog that overflowed (the kernel's count, when the
 * broker runs here) or, failing that, SYN retries; CONNACKs held by Nagle.
 */
export function tcpFindings(
  s: Summary,
  net: NetCounters | undefined,
  broker: string | undefined,
  L: TcpLimits,
): Finding[] {
  const out: Finding[] = [];
  const syn = synClusters(s, net, L);
  if (net !== undefined && broker !== undefined && net.listenOverflows >= L.minCount)
    out.push(listenBacklog(net, broker, syn));
  else if (syn !== undefined) out.push(synRetries(s, syn, net));
  const held = nagle(s, L);
  if (held !== undefined) out.push(held);
  return out;
}

function nagle(s: Summary, L: TcpLimits): Finding | undefined {
  const h = histogramOf(s, 'connack');
  if (h === undefined) return undefined;
  const n = cluster(h, L.nagleBand, L.nagleMinShare, L);
  if (n === 0) return undefined;
  const c = s.latency.connack;
  return {
    code: 'nagle_delayed_ack',
    severity: 'warning',
    message:
      `${n} CONNACKs (${pct(n / c.count)}) took ~40 ms: each waited behind the broker's TLS 1.3 session tickets until ` +
      "this client's delayed ACK (40 ms on Linux) released it, as Nagle's algorithm holds a small write while data is " +
      'unacknowledged. Set TCP_NODELAY on the broker (mosquitto: set_tcp_nodelay true; its default is false), or ' +
      'test with TLS 1.2, where no ticket follows the handshake.',
    evidence: { connack_count: c.count, connack_p50_ms: c.p50, near_40ms: n, share: r3(n / c.count) },
  };
}
