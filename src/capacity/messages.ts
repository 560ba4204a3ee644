/**
 * A message search (`herd capacity --search messages`): a fixed fleet and the fleet-wide
 * rate of the scenario's telemetry stream stepped. Each step connects the fleet anew at
 * the scenario's connect rate (runs do not outlive their load), then every device of it
 * publishes from one instant after the fleet is up, spread evenly over an interval
 * (TelemetryConfig.alignAtMs), a fixed number of messages each: the step's messages are
 * sent by a connected fleet, and their counts are exact.
 */
import { InputError, UsageError, type SourcePosition } from '../errors.js';
import type { RunConfig } from '../run/config.js';
import type { TelemetryConfig } from '../traffic/telemetry.js';
import type { SubscribersConfig } from '../traffic/subscribers.js';
import type { StreamConfig } from '../traffic/stream.js';
import { publishingDevices } from '../traffic/schedule.js';
import { constantRateLoad, DEFAULT_RATE } from '../load/registry.js';
import type { LoadConfig } from '../load/executor.js';
import type { CapacityFleet } from '../model/capacity.js';

/** What a message search steps, and the fleet that carries it. */
export interface MessagePlan {
  /** the telemetry stream's index in the scenario's traffic */
  index: number;
  stream: TelemetryConfig;
  devices: number;
  /** connects per second the fleet connects at, each step */
  connectRate: number;
  /** devices that publish on the stream (its `devices:` share of the fleet) */
  publishing: number;
  /** subscribers of the scenario's subscribers streams */
  subscribers: number;
}

/** Before the fleet's first message: the connects' own latency and the last CONNACKs, beyond the schedule. */
const ALIGN_MARGIN_MS = 500;
/** After a device's last message, before its hold ends (its acks then have SETTLE_MS more). */
const TAIL_MS = 250;

/** Where the run's traffic came from: a scenario file (positions in it) or the flags (--publish-every). */
export interface TrafficOrigin {
  file: string;
  locate(path: readonly (string | number)[]): SourcePosition;
}

/**
 * The run's one telemetry stream and its fleet. Bad input is exit 2: at its place in the
 * scenario, or naming the flag when the stream came from --publish-every (origin undefined).
 */
export function messagePlan(run: RunConfig, origin: TrafficOrigin | undefined, userSlo: boolean): MessagePlan {
  const problem = (path: (string | number)[], message: string, flag = '--publish-every'): Error =>
    origin === undefined ? new UsageError(message, flag) : new InputError(origin.locate(path), message);
  const streams = run.traffic
    .map((c, index) => ({ c, index }))
    .filter((x): x is { c: TelemetryConfig; index: number } => x.c.kind === 'telemetry');
  if (streams.length === 0)
    throw problem(
      ['traffic'],
      'a message search steps the rate of a telemetry stream, and there is none: give a scenario with ' +
        'traffic: [{ kind: telemetry, ... }], or --publish-every (with --qos, --payload, --topic)',
      '--search messages',
    );
  if (streams.length > 1)
    throw problem(
      ['traffic', streams[1]!.index],
      `${streams.length} telemetry streams (${streams.map((s) => s.c.name).join(', ')}): a message search steps one; keep one in the scenario`,
    );
  const { c: stream, index } = streams[0]!;
  const subscribers = run.traffic
    .filter((c): c is SubscribersConfig => c.kind === 'subscribers')
    .reduce((n, c) => n + c.count, 0);
  if (stream.qos === 0 && subscribers === 0 && !userSlo)
    throw problem(
      ['traffic', index],
      `the telemetry stream "${stream.name}" is QoS 0 and no subscribers stream receives it: a message search has ` +
        'nothing to judge a step by (give it qos 1 or 2, add a `kind: subscribers` stream, or give --threshold)',
      '--qos',
    );
  const publishing = publishingDevices(0, run.devices, stream.share);
  if (publishing === 0)
    throw problem(
      ['traffic', index, 'devices'],
      `none of the ${run.devices} devices publishes on "${stream.name}" (devices: ${Math.round(stream.share * 100)}%): give more devices or a larger share`,
      '--devices',
    );
  const load = run.load as LoadConfig & { rate?: unknown };
  const connectRate = load.executor === 'arrival-rate' && typeof load.rate === 'number' ? load.rate : DEFAULT_RATE;
  return { index, stream, devices: run.devices, connectRate, publishing, subscribers };
}

/** The SLOs of a message step when the scenario and flags set none: what its stream lets us measure. */
export function defaultMessageSlo(p: MessagePlan): Record<string, string[]> {
  const slo: Record<string, string[]> = {};
  if (p.subscribers > 0) {
    slo.delivery_duration = ['p(99) < 500ms'];
    slo.message_loss = ['rate < 0.001'];
  }
  if (p.stream.qos > 0) slo.publish_ack_duration = ['p(99) < 500ms'];
  return slo;
}

/** A message step as a run: the fleet's load and hold, and the stream at the step's rate. */
export interface MessageStepRun {
  load: LoadConfig;
  holdMs: number;
  traffic: StreamConfig[];
  /** the step's length: messages each × the interval */
  durationMs: number;
  perDevice: number;
  /** messages scheduled: publishing devices × messages each */
  scheduled: number;
  /** when the fleet's first messages are meant to go (epoch ms) */
  alignAtMs: number;
}

/**
 * Step `rate` (messages/s for the fleet) for about `durationMs`, in a run starting now that
 * is expected to take `prep.expectedMs` to start its connects and surely takes
 * `prep.floorMs`: every device publishes `perDevice` messages, one every publishing / rate
 * seconds, from one instant after the whole fleet has connected.
 */
export function messageStepRun(
  p: MessagePlan,
  traffic: readonly StreamConfig[],
  rate: number,
  durationMs: number,
  prep: { expectedMs: number; floorMs: number },
  now: number,
): MessageStepRun {
  const intervalMs = (p.publishing / rate) * 1000;
  const perDevice = Math.max(1, Math.ceil((rate * durationMs) / 1000 / p.publishing));
  const length = Math.round(perDevice * intervalMs);
  const connectMs = (p.devices / p.connectRate) * 1000;
  const alignAtMs = now + prep.expectedMs + connectMs + ALIGN_MARGIN_MS;
  // a hold counts from a device's CONNACK, none of which comes before the run's connects start
  // (not sooner than floorMs from now): enough for the last message of any, a jittered one too
  const jitterMs = p.stream.jitter.kind === 'none' ? 0 : intervalMs;
  const holdMs = Math.ceil(alignAtMs - (now + prep.floorMs) + length + jitterMs + TAIL_MS);
  const stream: TelemetryConfig = {
    ...p.stream,
    everyMs: undefined,
    rate,
    count: perDevice,
    startDelayMs: 0,
    alignAtMs,
  };
  return {
    load: constantRateLoad(p.connectRate, undefined),
    holdMs,
    traffic: traffic.map((c, i) => (i === p.index ? stream : c)),
    durationMs: length,
    perDevice,
    scheduled: perDevice * p.publishing,
    alignAtMs,
  };
}

export function fleetOf(p: MessagePlan): CapacityFleet {
  return {
    devices: p.devices,
    connect_rate: p.connectRate,
    stream: p.stream.name,
    qos: p.stream.qos,
    subscribers: p.subscribers,
    publishing: p.publishing,
  };
}
