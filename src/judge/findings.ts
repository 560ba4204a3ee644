/**
 * What limited a run, in words and figures (summary.findings): whether the schedule was kept
 * and, when not, why (the in-flight cap, the CPU of the generator, of a local broker or of
 * the whole machine, event-loop lag); what the histograms show besides (SYN retries of an
 * overflowing listen backlog, CONNACKs held back by Nagle and the delayed ACK); the margins
 * of open files and ports; TLS resumption; a saturated generator. Pure: a function of the
 * summary and of a few facts the run gathered (RunFacts). A merge has no facts: it gets what
 * the merged summary shows and carries the shards' other findings.
 */
import type { Finding, Summary } from '../model/summary.js';
import { formatMs } from '../model/units.js';
import { tcpFindings, type NetCounters } from './findings-tcp.js';
import { cpuFindings, scheduleCpu, type CpuSample } from './findings-cpu.js';
import { heldBackFinding } from './findings-traffic.js';

export type { NetCounters } from './findings-tcp.js';
export type { CpuSample } from './findings-cpu.js';

/** What the run knows besides its summary. */
export interface RunFacts {
  /** CPUs of this machine */
  cores: number;
  /** the execute stage's CPU, once a second */
  cpu: readonly CpuSample[];
  /** the kernel's TCP counters over the execute stage (undefined: /proc does not say) */
  net: NetCounters | undefined;
  /** the broker's process when it runs on this machine: its name and the threads its handshakes run on */
  broker: { name: string; threads: number; pid?: number; pids?: number[] } | undefined;
  /** connections per generator process at the plan's peak, the sockets its open-files limit leaves, that limit */
  fds: { perProcess: number; usable: number; limit: number };
  /** connections per (source, target) address pair at the peak, the ephemeral ports of one pair, the pairs */
  ports: { perPair: number; available: number; pairs: number };
  /** what --tls-contexts asked for (the summary says what the workers could do) */
  tlsContextsAsked?: 'shared' | 'per-device' | undefined;
}

/** Shared TLS contexts were asked, and this Node's connections do not copy their context's certificate. */
const CONTEXT_FALLBACK: Finding = {
  code: 'tls_contexts_per_device',
  severity: 'warning',
  message:
    "This Node's TLS connections do not keep the certificate their context held when they were made, so " +
    'every device got a TLS context of its own: about a third more memory per held connection and more CPU ' +
    'per connect than one shared context per worker (87 KB against 64 KB measured with Node 20).',
  evidence: { asked: 'shared', used: 'per-device' },
};

/**
 * Every threshold of a finding, in one place, each set so that noise (a GC pause, a busy
 * neighbour, a handful of slow connects) makes none.
 */
export const FINDING_LIMITS = {
  /** kept: 99% of attempts started within this of their intended start (arrivals reach the workers 50 ms early; timers and GC add a few ms) */
  scheduleLagP99Ms: 100,
  /** the in-flight cap limited the run: at least this share of the attempts waited for a slot */
  inFlightWaitShare: 0.01,
  /** the fewest values that make a finding of a count (waits, a cluster) */
  minCount: 5,
  /** Linux resends an unanswered SYN after 1 s, then 2 s later: TCP connects of ~1 s and ~3 s, ms */
  synBands: [
    [1000, 1400],
    [3000, 3500],
  ],
  synMinShare: 0.001,
  /** Linux's minimum delayed ACK is 40 ms: CONNACKs of 38–50 ms waited for it, ms */
  nagleBand: [38, 50],
  nagleMinShare: 0.02,
  /** a band is a cluster when it holds this many times the values of the equally wide bands either side */
  clusterRatio: 3,
  /** the machine's CPUs this busy (all of them) on average while the schedule ran */
  hostBusy: 0.9,
  /** or this busy (full) in at least this many seconds, and this share of the seconds, of the schedule */
  hostFull: 0.97,
  hostFullSeconds: 2,
  hostFullShare: 0.25,
  /** the generator alone used this share of the machine's cores */
  generatorShare: 0.8,
  /** the broker used this share of the cores its threads can use */
  brokerShare: 0.85,
  /** worker event-loop lag p99 that delays timers and reads (from 200 ms the run is inconclusive: engine/health.ts) */
  eventLoopLagMs: 50,
  /** open files or ports at the peak: this share of the limit is close */
  nearLimit: 0.8,
  /** a rate to suggest when the schedule slipped: this share of what was achieved */
  headroom: 0.9,
  /** a rate to suggest when CPU limited it: this share of what the cores carry (the rest for timers, GC, neighbours) */
  cpuHeadroom: 0.7,
  /** the fewest reconnects that say anything about the share that resumed */
  minReconnects: 20,
} as const;

const L = FINDING_LIMITS;

/** Findings that need the run's facts: a merge keeps the shards' own, labelled by shard. */
export const FACT_CODES: readonly string[] = [
  'machine_cpu',
  'generator_cpu',
  'broker_cpu',
  'listen_backlog',
  'fds',
  'ports',
];

const CAUSE_LABEL: Record<string, string> = {
  generator_saturated: 'a saturated generator',
  in_flight_cap: 'the in-flight cap',
  machine_cpu: "the machine's CPUs",
  generator_cpu: "the generator's CPU",
  broker_cpu: "the broker's CPU",
  event_loop_lag: 'event-loop lag',
  syn_retries: 'SYN retries',
  listen_backlog: "the broker's listen backlog",
  nagle_delayed_ack: 'CONNACKs held by Nagle',
};

const SEVERITY = { error: 0, warning: 1, info: 2 } as const;

const r1 = (x: number): number => Math.round(x * 10) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const pct = (x: number): string => `${x < 0.1 ? r1(x * 100) : Math.round(x * 100)}%`;
const perS = (x: number): string => `${x < 10 ? r1(x) : Math.round(x)}/s`;

/**
 * The findings of a run, most severe first. `facts` undefined: only what the summary shows;
 * `carried`: findings made elsewhere (a merge's shards) that count as causes too.
 */
export function findingsOf(s: Summary, facts?: RunFacts, carried: readonly Finding[] = []): Finding[] {
  const out: Finding[] = s.generator.saturation_reasons.map((reason) => ({
    code: 'generator_saturated',
    severity: 'error',
    message:
      `The generator was saturated (${reason}): the results describe this machine rather than the broker. ` +
      'Spread the load over more --workers, --processes or shards on more machines.',
    evidence: { reason },
  }));
  out.push(...causes(s, facts, carried), ...carried);
  out.push(...tcpFindings(s, facts?.net, facts?.broker?.name, L));
  const schedule = scheduleFinding(s, out, facts);
  if (schedule !== undefined) out.unshift(schedule);
  const resumed = resumption(s);
  if (resumed !== undefined) out.push(resumed);
  const held = heldBackFinding(s);
  if (held !== undefined) out.push(held);
  if (s.generator.tls_contexts === 'per-device' && facts?.tlsContextsAsked === 'shared') out.push(CONTEXT_FALLBACK);
  if (facts !== undefined) out.push(...limits(s, facts));
  return out
    .map((f, i) => [f, i] as const)
    .sort(([a, i], [b, j]) => SEVERITY[a.severity] - SEVERITY[b.severity] || i - j)
    .map(([f]) => f);
}

function scheduleFinding(s: Summary, causes: readonly Finding[], facts: RunFacts | undefined): Finding | undefined {
  const sch = s.schedule;
  if (sch === undefined) return undefined;
  const lag = sch.start_lag;
  const evidence = {
    asked_per_second: sch.asked_per_second,
    achieved_per_second: sch.achieved_per_second,
    attempts: sch.attempts,
    start_lag_p50_ms: lag.p50,
    start_lag_p99_ms: lag.p99,
    start_lag_max_ms: lag.max,
    waited_for_in_flight: sch.waited_for_in_flight,
    in_flight_cap: sch.in_flight_cap,
  };
  const asked = sch.asked_per_second === null ? '' : `asked ${perS(sch.asked_per_second)}, `;
  const achieved = sch.achieved_per_second ?? 0;
  if (lag.p99 <= L.scheduleLagP99Ms) {
    const message =
      `The schedule was kept: ${asked}attempts started at ${perS(achieved)}, 99% of them within ${formatMs(lag.p99)} ` +
      `of their intended start (the latest ${formatMs(lag.max)}).`;
    return { code: 'schedule_kept', severity: 'info', message, evidence };
  }
  const why = [...new Set(causes.map((c) => CAUSE_LABEL[c.code]).filter((c) => c !== undefined))];
  const cpu = facts === undefined ? undefined : scheduleCpu(s, facts);
  const short =
    sch.asked_per_second === null || sch.asked_per_second === 0
      ? null
      : Math.max(0, 1 - achieved / sch.asked_per_second);
  const by = short === null ? '' : ` (${pct(short)} short of the rate asked)`;
  const limited =
    why.length > 0
      ? `Limited by ${why.join(', ')} (see the findings below).`
      : 'None of the usual limits (in-flight cap, CPU, event-loop lag) showed.';
  const message =
    `The schedule slipped: ${asked}attempts started at ${perS(achieved)}${by}, ${formatMs(lag.p99)} late at p99 ` +
    `(p50 ${formatMs(lag.p50)}, the latest ${formatMs(lag.max)}); connect latency counts from the intended start, ` +
    `so it holds this wait. ${cpu === undefined ? '' : `${cpu.words} `}${limited} To keep the schedule here, ask for about ${perS(achieved * L.headroom)} ` +
    '(--rate, or the stages of the scenario) or remove what limited it.';
  return {
    code: 'schedule_slipped',
    severity: 'warning',
    message,
    evidence: { ...evidence, short_share: short === null ? null : r3(short), ...cpu?.evidence },
  };
}

/** What limited the pace of the attempts: the in-flight cap, CPU, event-loop lag. */
function causes(s: Summary, facts: RunFacts | undefined, carried: readonly Finding[]): Finding[] {
  // CPU first: a full CPU slows every attempt, and slow attempts fill the in-flight cap
  const out: Finding[] = facts === undefined ? [] : cpuFindings(s, facts, L);
  const cpuFull = out.length > 0 || carried.some((f) => f.code.endsWith('_cpu'));
  const cap = inFlightCap(s, cpuFull);
  if (cap !== undefined) out.push(cap);
  const lag = s.generator.event_loop_lag_p99_ms;
  const lagSaturated = s.generator.saturation_reasons.some((r) => r.includes('event-loop lag'));
  if (!cpuFull && lag >= L.eventLoopLagMs && !lagSaturated)
    out.push({
      code: 'event_loop_lag',
      severity: 'warning',
      message:
        `The generator's event loops lagged ${formatMs(lag)} at p99: timers and socket reads ran late, so starts ` +
        'slipped and latencies include the lag. Give it more --workers, or run it on a quieter machine.',
      evidence: { event_loop_lag_p99_ms: lag, limit_ms: L.eventLoopLagMs },
    });
  return out;
}

/** Mean time of one attempt, ms: its phases one after the other. */
function attemptMs(s: Summary): number {
  return (['tcp', 'tls', 'ws', 'connack', 'subscribe'] as const).reduce(
    (a, p) => a + (s.latency[p].count > 0 ? s.latency[p].mean : 0),
    0,
  );
}

function inFlightCap(s: Summary, cpuFull: boolean): Finding | undefined {
  const sch = s.schedule;
  if (sch === undefined) return undefined;
  const waited = sch.waited_for_in_flight;
  const share = waited / Math.max(1, sch.attempts);
  if (waited < L.minCount || share < L.inFlightWaitShare) return undefined;
  const mean = attemptMs(s);
  const allows = mean > 0 ? (sch.in_flight_cap * 1000) / mean : null;
  const carries =
    allows === null ? '' : `; attempts took ${formatMs(mean)} on average, so it carries at most ${perS(allows)}`;
  const change = cpuFull
    ? 'The attempts are slow because a CPU is full (see its finding): lower --rate rather than raising the cap.'
    : "Raise --in-flight if the broker keeps up (stay below its listen backlog: mosquitto's is 100), or lower --rate.";
  return {
    code: 'in_flight_cap',
    severity: 'warning',
    message:
      `${waited} of ${sch.attempts} attempts (${pct(share)}) waited for a slot: --in-flight ${sch.in_flight_cap} connects ` +
      `were already between start and CONNACK${carries}. ${change}`,
    evidence: {
      waited_for_in_flight: waited,
      attempts: sch.attempts,
      waited_share: r3(share),
      in_flight_cap: sch.in_flight_cap,
      attempt_mean_ms: r1(mean),
      cap_carries_per_second: allows === null ? null : r1(allows),
      asked_per_second: sch.asked_per_second,
    },
  };
}

function resumption(s: Summary): Finding | undefined {
  const r = s.resumption;
  const asked = r?.asked_ratio;
  if (r === undefined || asked === undefined || asked === 0) return undefined;
  const reconnects = r.reconnects ?? 0;
  const offered = r.offered ?? 0;
  const evidence = { asked_ratio: asked, reconnects, offered, resumed: r.resumed };
  if (reconnects === 0)
    return {
      code: 'resumption',
      severity: 'info',
      message:
        `resume_ratio ${asked} was asked, but no device reconnected holding a session, so nothing could resume: ` +
        'the ratio applies to reconnects (constant-connections replacing drops, a reconnect-storm).',
      evidence,
    };
  const share = r.resumed / reconnects;
  const margin = 3 * Math.sqrt((asked * (1 - asked)) / reconnects);
  const low = reconnects >= L.minReconnects && share < asked - margin;
  const message = low
    ? `Only ${r.resumed} of ${reconnects} reconnects (${pct(share)}) resumed a TLS session where ${pct(asked)} were asked: ` +
      `the broker refused ${offered - r.resumed} of the ${offered} sessions offered (it issues no tickets or keeps no session cache).`
    : `${r.resumed} of ${reconnects} reconnects (${pct(share)}) resumed a TLS session; ${pct(asked)} were asked.`;
  return {
    code: 'resumption',
    severity: low ? 'warning' : 'info',
    message,
    evidence: { ...evidence, resumed_share: r3(share) },
  };
}

/** Open files and ephemeral ports at the plan's peak, when close to their limit. */
function limits(s: Summary, f: RunFacts): Finding[] {
  const out: Finding[] = [];
  const fdShare = f.fds.perProcess / Math.max(1, f.fds.usable);
  if (fdShare >= L.nearLimit)
    out.push({
      code: 'fds',
      severity: 'warning',
      message:
        `At the peak a generator process holds ${f.fds.perProcess} connections, ${pct(fdShare)} of the ${f.fds.usable} sockets ` +
        `its open-files limit (${f.fds.limit}) leaves: raise the limit (ulimit -n) or add --processes before the plan grows.`,
      evidence: {
        peak_per_process: f.fds.perProcess,
        sockets_usable: f.fds.usable,
        fd_limit: f.fds.limit,
        active_peak: s.counts.active_peak,
      },
    });
  const portShare = f.ports.perPair / Math.max(1, f.ports.available);
  if (portShare >= L.nearLimit)
    out.push({
      code: 'ports',
      severity: 'warning',
      message:
        `At the peak ${f.ports.perPair} connections share each of ${f.ports.pairs} source/target address pairs, ${pct(portShare)} ` +
        `of the ${f.ports.available} ephemeral ports of a pair: add --source-ips or --target addresses before the plan grows.`,
      evidence: { peak_per_pair: f.ports.perPair, ports_per_pair: f.ports.available, pairs: f.ports.pairs },
    });
  return out;
}
