/**
 * src/model: the vocabulary every layer shares — the Summary and its parts (this file),
 * phases, failure reasons, faults and metric names (names.ts), units (units.ts), the
 * capacity section (capacity.ts). It imports nothing of ours but src/errors.ts.
 *
 * This file: the shape of summary.json (a shard summary and a merged summary are the same shape).
 */
import type { FailurePhase, Phase } from './names.js';
import type { Capacity } from './capacity.js';
import type { MessagePhase, StreamMessages } from './messages.js';

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'insecure';

/** Count, min, mean and percentiles in ms, and the histogram itself. */
export type PhaseLatency = LatencyStats & {
  /** base64 of the compressed HDR histogram (microseconds), so summaries merge exactly */
  hdr: string;
};

export interface FailureCount {
  phase: FailurePhase;
  reason: string;
  count: number;
  /** what one of them looked like (a protocol error: the first bytes that arrived, printable) */
  example?: string;
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  value: number | null;
  /** a default gate (held without being asked for; a scenario or flag can change or turn it off) */
  default?: boolean;
}

/** What limited a run, or is worth knowing about it, with the figures that show it. */
export interface Finding {
  /** stable, for scripts: schedule_kept, schedule_slipped, in_flight_cap, syn_retries, nagle_delayed_ack, … */
  code: string;
  severity: 'info' | 'warning' | 'error';
  /** in words, with what to change when there is something to change */
  message: string;
  /** the figures behind it */
  evidence: Record<string, number | string | null>;
}

export interface Summary {
  version: 1;
  run: {
    id: string;
    scenario: string;
    target: string;
    started: string;
    ended: string;
    /** which shard of how many; `first`..`last`: the device indexes it ran (a merge: all, when contiguous) */
    shard: { index: number; count: number; first?: number; last?: number };
    mqtt: string;
    devices: number;
    executor: string;
    /** device key type and the client's TLS version bounds (null: Node's default) */
    key?: string;
    tls?: {
      min_version: string | null;
      max_version: string | null;
      /** ALPN offered, key exchange groups, cipher suites; absent: Node's defaults */
      alpn?: string[];
      groups?: string;
      ciphers?: string;
    };
    /** stopped early (Ctrl-C / SIGTERM): the verdict is inconclusive unless insecure */
    interrupted?: boolean;
  };
  counts: {
    attempted: number;
    connected: number;
    failed: number;
    rejected_as_expected: number;
    accepted_unexpectedly: number;
    active_peak: number;
    /** held connections that ended before the run ended them: by the broker, or cut on purpose (a storm) */
    dropped: number;
    /** established sessions the broker ended before the run did (counted in `failures` with phase `session`) */
    session_drops: number;
  };
  failures: FailureCount[];
  /** faulty devices: per fault, how they ended */
  security: {
    fault: string;
    expected_rejections: number;
    rejected: number;
    accepted: number;
    reasons: Record<string, number>;
  }[];
  /** per connect phase; with traffic, the message phases too (publish_ack, delivery, command_rtt) */
  latency: Record<Phase, PhaseLatency> & Partial<Record<MessagePhase, PhaseLatency>>;
  /** with traffic: per stream, what was sent, acknowledged, delivered, lost */
  messages?: Record<string, StreamMessages>;
  mint: { count: number; per_second: number; loaded: number };
  generator: {
    cpu_ms_per_handshake: number;
    event_loop_lag_p99_ms: number;
    saturated: boolean;
    saturation_reasons: string[];
    fd_limit: number;
    workers: number;
    processes: number;
    rss_peak_bytes: number;
    /**
     * resident memory the generator's processes grew by per held connection, KB:
     * (memory.held_bytes − memory.before_bytes) / memory.held; null when nothing was held
     * (absent in summaries written before it existed)
     */
    kb_per_connection?: number | null;
    memory?: GeneratorMemory;
    /** the generator's CPU while the schedule ramped and while connections were held */
    phases?: GeneratorPhases;
    /**
     * how devices' certificates reached their TLS connections: one shared context per worker
     * given each device's certificate and key per connect, or a context per device (asked, or
     * the fallback where Node cannot share). Absent when no target used TLS.
     */
    tls_contexts?: TlsContexts;
  };
  thresholds: ThresholdResult[];
  /** what limited the run (schedule kept or not and why, retries, backlog, CPU, fds, ports) */
  findings: Finding[];
  /** the broker's process when it runs on this machine and /proc shows it (absent in a merge of shards) */
  broker_process?: BrokerProcessStats;
  /** an open-loop run: how well the attempts kept to their intended starts (absent for the closed loop) */
  schedule?: ScheduleStats;
  verdict: Verdict;
  verdict_reason: string;
  /** per-second timeline (bounded; downsampled for long runs) */
  series?: TimeSeries;
  /** TLS session resumption (tls.resume_ratio): full handshakes (the `tls` phase) and resumed ones apart */
  resumption?: Resumption;
  /** a storm of reconnects: how the dropped devices came back */
  recovery?: Recovery;
  /** a capacity search (`herd capacity`): the knee, the steps and what limited it */
  capacity?: Capacity;
}

/** The generator's resident memory (its processes, worker threads included) before the first connect and at the most held. */
export interface GeneratorMemory {
  before_bytes: number;
  /** at the sample with the most connections held (null: none held) */
  held_bytes: number | null;
  /** connections held at that sample (0: none) */
  held: number;
}

/**
 * The ramp: from the schedule's start until its last attempt ended (every one connected or
 * failed); the hold: from then until the run ended the held connections. Null: the phase
 * did not happen (the run stopped during the ramp; nothing was held after it).
 */
export interface GeneratorPhases {
  ramp: RampPhase | null;
  hold: HoldPhase | null;
}

export interface RampPhase {
  ms: number;
  cpu_ms: number;
  /** attempts started during the ramp (each a TCP connect, a TLS handshake, a CONNECT) */
  handshakes: number;
  /** null: no handshake */
  cpu_ms_per_handshake: number | null;
}

export interface HoldPhase {
  ms: number;
  cpu_ms: number;
  /** the held connections' time added up (held × seconds) */
  connection_seconds: number;
  /** what holding one connection for a second costs: × connections / 1000 = cores (null: none held) */
  cpu_ms_per_connection_second: number | null;
}

/**
 * The broker's process when it runs on this machine (a loopback target whose listener
 * /proc shows, or herd's embedded broker — a child process, so never counted as the
 * generator's): its CPU over the run and over the generator's phases.
 */
export interface BrokerProcessStats {
  /** the first (or only) broker process */
  pid: number;
  /** every broker process, when the targets are several brokers on this machine (their CPU is summed) */
  pids?: number[];
  /** /proc/<pid>/comm, or `herd embedded broker` */
  command: string;
  /** the threads its connections run on (mosquitto and the embedded broker: 1) */
  threads: number;
  embedded: boolean;
  /** CPU ms from the schedule's start to the run's end, and the cores that is on average */
  cpu_ms: number;
  cores: number;
  /** CPU ms during the generator's ramp and hold (null: that phase did not happen) */
  ramp_cpu_ms: number | null;
  hold_cpu_ms: number | null;
}

/**
 * How the attempts of an open-loop schedule (a policy's reconnects included) kept to their
 * intended starts. Rates are taken over the same attempts: asked, from the first intended
 * start to the last; achieved, from the first intended start to the last actual one.
 */
export interface ScheduleStats {
  /** attempts started */
  attempts: number;
  /** ISO times: the first attempt's intended start, the last one's, and when the last one did start */
  first_intended: string;
  last_intended: string;
  last_started: string;
  /** attempts per second the schedule asked for (null with fewer than two attempts) */
  asked_per_second: number | null;
  /** attempts actually started per second (null with fewer than two attempts) */
  achieved_per_second: number | null;
  /** actual start − intended start of each attempt, ms, with its histogram (merges exactly) */
  start_lag: PhaseLatency;
  /** attempts that waited for a slot because `in_flight_cap` connects were between start and CONNACK */
  waited_for_in_flight: number;
  /** --in-flight */
  in_flight_cap: number;
}

export interface Resumption {
  full: number;
  resumed: number;
  tls_full: PhaseLatency;
  tls_resumed: PhaseLatency;
  /** the resume_ratio asked for (absent in summaries written before it was recorded) */
  asked_ratio?: number;
  /** attempts of a device holding a session from an earlier connection, and how many of them offered it */
  reconnects?: number;
  offered?: number;
}

export interface LatencyStats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface SeriesPoint {
  /** seconds from the series start to the start of this point */
  t: number;
  attempts: number;
  connected: number;
  failed: number;
  rejected: number;
  unexpected: number;
  /** most connections open at once seen in the point */
  active: number;
  /** end-to-end connect latency of the connects completed in the point, ms */
  p50: number | null;
  p99: number | null;
  /** failures by reason */
  failures: Record<string, number>;
  /** with traffic, summed over streams: messages published (written) in the point */
  published?: number;
  /** deliveries received in the point (every receiver, duplicates included) */
  delivered?: number;
  /** messages sent later than their schedule allowed */
  late?: number;
  /**
   * expected deliveries counted lost in the point: a message counts once it is 30 s old
   * and still missing, whatever it still lacks when the run ends in the last point
   */
  lost?: number;
}

export interface TimeSeries {
  /** ISO time of second 0 (a whole second) */
  start: string;
  resolution: number;
  points: SeriesPoint[];
}

/** A summary that may carry its time series (until Summary itself declares `series`). */
export type WithSeries<T> = T & { series?: TimeSeries };

export interface Recovery {
  /** what took the devices down: a broker restart, a cut of the connections, or (reconnect) whatever did */
  drop: 'broker-restart' | 'disconnect' | 'reconnect';
  dropped_at: string | null;
  /** devices that went down (dropped, or kept from connecting) and were timed */
  dropped: number;
  recovered: number;
  /** devices that went down and never came back before the run ended */
  not_back?: number;
  /** ms from the drop until that share of the dropped devices were connected again */
  t50_ms: number | null;
  t90_ms: number | null;
  t99_ms: number | null;
  t100_ms: number | null;
  reconnect_attempts: number;
  /** the most connects completed in one second during the recovery */
  peak_connect_rate: number;
  /** recovery times (µs) as a compressed HDR histogram, for exact merges and thresholds */
  hdr: string;
}

/** How device certificates reach their TLS connections (--tls-contexts). */
export const TLS_CONTEXTS = ['shared', 'per-device'] as const;
export type TlsContexts = (typeof TLS_CONTEXTS)[number];
