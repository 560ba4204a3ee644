/**
 * `capacity` in summary.json: what a capacity search (`herd capacity`) found. The contract
 * names max_rate, limited_by and steps [{rate, achieved, p50, p99, failed}]; the rest says
 * how sure the answer is and why the search stopped where it did.
 *
 * Two searches: the connect rate (`unit` connects/s, the default) and, with
 * `--search messages`, the fleet-wide message rate of a connected fleet (`unit`
 * messages/s): then rates are messages per second, p50/p99 the message latency judged
 * (delivery, else publish → ack) and each step has `messages`.
 */

/** What a search's rates count. */
export type CapacityUnit = 'connects/s' | 'messages/s';

/** The unit of a search (summaries written before message searches have none: connects/s). */
export function capacityUnit(c: { unit?: CapacityUnit }): CapacityUnit {
  return c.unit ?? 'connects/s';
}

/** A message step's counts: published = messages_per_device × publishing devices when the generator kept up. */
export interface StepMessages {
  /** the telemetry stream stepped */
  stream: string;
  /** messages scheduled for the step (the publishing devices × messages each) */
  scheduled: number;
  published: number;
  /** QoS 1/2: acknowledged */
  acked: number;
  /** deliveries to the subscribers (a fan-out of k counts k per message) */
  delivered: number;
  /** deliveries expected (published × the subscribers each message reaches); 0 without subscribers */
  expected_deliveries: number;
  lost: number;
  duplicated: number;
  late: number;
  /** which latency p50/p99 are: delivery (a subscriber received it) or publish_ack */
  latency: 'delivery' | 'publish_ack' | null;
}

export interface CapacityStep {
  /** connects (or, in a message search, messages) per second scheduled */
  rate: number;
  /**
   * per second completed: connected / (step + its p99), so a broker that falls behind shows
   * its own pace; a message step: messages delivered (else acknowledged, else sent) / step
   */
  achieved: number;
  /** end-to-end connect latency (message search: the message latency of `messages.latency`), ms (null: none) */
  p50: number | null;
  p99: number | null;
  /** attempts that failed (message search: the fleet's connects that failed) */
  failed: number;
  /** a message search's counts */
  messages?: StepMessages;
  kind: StepKind;
  /** every SLO held, the rate was achieved and the generator kept up */
  ok: boolean;
  duration_ms: number;
  attempted: number;
  connected: number;
  /** failed attempts by reason */
  failures: Record<string, number>;
  /** what broke, in words ("connect_duration p(99) < 500ms: p(99)=812ms") */
  broke: string[];
  saturated: boolean;
  saturation_reasons: string[];
  /** p99 of each phase, ms */
  phases_p99: { tcp: number | null; tls: number | null; connack: number | null; subscribe: number | null };
  /** CPU cores the broker process used (a broker on this machine that this user may see), else null */
  broker_cpu: number | null;
  /** share of all of this machine's CPUs busy during the step, 0–1 */
  host_cpu: number | null;
  /** CPU cores the generator used */
  generator_cpu: number;
}

export interface CapacityFinding {
  /** failures | listen_backlog | broker_cpu | host_cpu | phase | queueing | generator | insecure | max_rate | budget */
  kind: string;
  text: string;
}

/** The fleet a message search holds connected while it steps the message rate. */
export interface CapacityFleet {
  devices: number;
  /** connects per second the fleet connects at, each step */
  connect_rate: number;
  /** the telemetry stream stepped, its QoS, and the subscribers counting deliveries */
  stream: string;
  qos: number;
  subscribers: number;
  /** devices of the fleet that publish on the stream */
  publishing: number;
}

export interface Capacity {
  /** what max_rate, ceiling and the steps' rates count (absent in older summaries: connects/s) */
  unit?: CapacityUnit;
  /** the highest rate that held its SLOs (in `unit`); null when none did */
  max_rate: number | null;
  limited_by: LimitedBy;
  steps: CapacityStep[];
  /** a longer hold at max_rate held too */
  confirmed: boolean;
  /** the broker did not break within the search: the maximum is at least max_rate */
  at_least: boolean;
  /** the lowest rate that broke an SLO */
  ceiling: number | null;
  /** why the search stopped, in one sentence */
  reason: string;
  /** what limited it, strongest evidence first */
  findings: CapacityFinding[];
  /** the SLOs each step was held to ("connect_duration p(99) < 500ms") */
  slo: string[];
  search: {
    start_rate: number;
    max_rate: number;
    precision: number;
    budget_ms: number;
    elapsed_ms: number;
    started: string;
    ended: string;
  };
  /** what the rate depends on besides the broker: key type, TLS versions, protocol, concurrency */
  config: {
    key: string;
    tls_min_version: string | null;
    tls_max_version: string | null;
    mqtt: string;
    in_flight: number;
    hold_ms: number;
    workers: number;
    target: string;
    broker: { pid: number; pids?: number[]; name: string; threads: number } | null;
  };
  /** a message search: the fleet each step connects and holds */
  fleet?: CapacityFleet;
}

export type StepKind = 'ramp' | 'bisect' | 'confirm' | 'retry';

/**
 * Why the search stopped:
 *   slo         an SLO broke above max_rate (the knee)
 *   generator   the generator saturated first: the broker sustains at least max_rate
 *   max_rate    every step up to --max-rate held: at least max_rate
 *   budget      the time budget ran out before an SLO broke: at least max_rate
 *   insecure    the broker accepted a credential it must reject; the search stopped there
 *   interrupted stopped by the user
 */
export type LimitedBy = 'slo' | 'generator' | 'max_rate' | 'budget' | 'insecure' | 'interrupted';
