/**
 * `telemetry` (device → broker): each device publishes to its topic on a schedule — every
 * `every` per device (jittered: uniform ±share, or Poisson arrivals), or a fleet-wide
 * `rate` shared by the devices — from `start_delay` after its CONNACK, `count` messages or
 * until its hold ends. Every message has an intended send time; its latencies count from it.
 */
import { parseDurationMs, parsePercentFraction, parseRatePerSecond } from '../model/units.js';
import type { Qos } from '../model/messages.js';
import { check, type ConfigProblem } from '../load/executor.js';
import { HEADER_BYTES } from './header.js';
import { topicNameProblem, unknownPlaceholders } from './topics.js';
import type { Stream } from './stream.js';

export type Jitter = { kind: 'none' } | { kind: 'uniform'; share: number } | { kind: 'poisson' };
export type Payload = { kind: 'size'; min: number; max: number } | { kind: 'template'; text: string };

export interface Mqtt5Properties {
  messageExpiryS?: number;
  contentType?: string;
  user?: Record<string, string>;
}

export interface TelemetryConfig {
  kind: 'telemetry';
  name: string;
  topic: string;
  /** per device, ms between messages; undefined when `rate` is given */
  everyMs: number | undefined;
  /** fleet-wide messages per second (each device: rate / devices); undefined when `every` is given */
  rate: number | undefined;
  jitter: Jitter;
  payload: Payload;
  qos: Qos;
  retain: boolean;
  /** messages per device; undefined: until the hold ends */
  count: number | undefined;
  startDelayMs: number;
  /** share of the devices that publish (0–1) */
  share: number;
  properties: Mqtt5Properties;
  /**
   * Not in scenarios (a capacity search sets it): the fleet's first messages go from this
   * instant (epoch ms), spread evenly over one interval (schedule.ts fleetPhase), whenever
   * the devices connected before it; start_delay is not used. Undefined: from each CONNACK.
   */
  alignAtMs?: number;
}

const TEMPLATE_VARS = ['id', 'i', 'shard', 'stream', 'seq', 'ts', 'herd', 'random'];

function payloadOf(v: unknown): Payload {
  if (typeof v === 'number') return { kind: 'size', min: v, max: v };
  if (typeof v === 'string') {
    const [a, b] = v.split('-').map(Number);
    return { kind: 'size', min: a!, max: b ?? a! };
  }
  return { kind: 'template', text: (v as { template: string }).template };
}

function jitterOf(v: unknown): Jitter {
  if (v === undefined) return { kind: 'none' };
  if (v === 'poisson') return { kind: 'poisson' };
  const share = parsePercentFraction(v as string);
  return share === 0 ? { kind: 'none' } : { kind: 'uniform', share };
}

function propertiesOf(v: unknown): Mqtt5Properties {
  const p = (v ?? {}) as { message_expiry?: string; content_type?: string; user?: Record<string, string> };
  return {
    ...(p.message_expiry === undefined ? {} : { messageExpiryS: parseDurationMs(p.message_expiry) / 1000 }),
    ...(p.content_type === undefined ? {} : { contentType: p.content_type }),
    ...(p.user === undefined ? {} : { user: p.user }),
  };
}

function validate(c: TelemetryConfig, run: { devices: number; mqttVersion: 4 | 5 }): ConfigProblem[] {
  const p: ConfigProblem[] = [];
  if ((c.everyMs === undefined) === (c.rate === undefined))
    p.push({ path: ['every'], message: 'give either every (per device) or rate (for the fleet), one of them' });
  check.duration(c.everyMs, ['every'], p);
  if (c.rate !== undefined) check.rate(c.rate, ['rate'], p);
  const topic = topicNameProblem(c.topic.replace(/\{[^}]*\}/g, 'x'));
  if (topic !== null) p.push({ path: ['topic'], message: topic });
  for (const v of unknownPlaceholders(c.topic)) p.push({ path: ['topic'], message: `unknown placeholder {${v}}` });
  if (c.payload.kind === 'size') {
    if (!(c.payload.min >= HEADER_BYTES) || !(c.payload.max >= c.payload.min) || c.payload.max > 268_435_455)
      p.push({
        path: ['payload'],
        message: `expected ${HEADER_BYTES}…268435455 bytes (the header is ${HEADER_BYTES}), min ≤ max`,
      });
  } else {
    const unknown = unknownPlaceholders(c.payload.text, TEMPLATE_VARS);
    for (const v of unknown) p.push({ path: ['payload', 'template'], message: `unknown placeholder {${v}}` });
    if (run.mqttVersion === 4 && !c.payload.text.includes('{herd}'))
      p.push({
        path: ['payload', 'template'],
        message: 'with MQTT 3.1.1 a template must hold {herd}: the header (48 hex characters) its receivers read',
      });
  }
  if (c.count !== undefined) check.positiveInt(c.count, ['count'], p);
  if (!(c.share > 0 && c.share <= 1))
    p.push({ path: ['devices'], message: 'expected a share above 0% and at most 100%' });
  if (run.mqttVersion === 4 && Object.keys(c.properties).length > 0)
    p.push({ path: ['properties'], message: 'MQTT 5 properties need mqtt.version 5' });
  return p;
}

export const telemetry: Stream<TelemetryConfig> = {
  kind: 'telemetry',
  description: 'devices publish on a schedule (every N per device, or a rate for the fleet), QoS 0, 1 or 2',
  schema: {
    topic: {
      type: 'string',
      description: 'topic template: {id} {i} {shard} {stream} (default devices/{id}/telemetry)',
    },
    every: { type: 'string', format: 'duration', description: 'per device, time between messages' },
    rate: { type: 'string', format: 'rate', description: 'messages per second for the whole fleet' },
    jitter: {
      anyOf: [
        { type: 'string', format: 'percent' },
        { type: 'string', enum: ['poisson'] },
      ],
      description: 'uniform ±share of the interval, or poisson arrivals',
    },
    payload: {
      anyOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', pattern: '^\\d+-\\d+$' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['template'],
          properties: { template: { type: 'string' } },
        },
      ],
      description: 'bytes, a range "64-512", or { template: \'{"id":"{id}","seq":{seq},"herd":"{herd}"}\' }',
    },
    qos: { type: 'integer', enum: [0, 1, 2] },
    retain: { type: 'boolean' },
    count: { type: 'integer', minimum: 1, description: 'messages per device (default: until the hold ends)' },
    start_delay: { type: 'string', format: 'duration', description: 'after CONNACK (default 0s)' },
    devices: { type: 'string', format: 'percent', description: 'share of the devices that publish (default 100%)' },
    properties: {
      type: 'object',
      additionalProperties: false,
      description: 'MQTT 5 PUBLISH properties',
      properties: {
        message_expiry: { type: 'string', format: 'duration' },
        content_type: { type: 'string' },
        user: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
  fromScenario(raw, name) {
    return {
      ok: true,
      config: {
        kind: 'telemetry',
        name,
        topic: (raw.topic as string | undefined) ?? 'devices/{id}/telemetry',
        everyMs: raw.every === undefined ? undefined : parseDurationMs(raw.every as string),
        rate: raw.rate === undefined ? undefined : parseRatePerSecond(raw.rate as string),
        jitter: jitterOf(raw.jitter),
        payload: payloadOf(raw.payload ?? 256),
        qos: (raw.qos as Qos | undefined) ?? 0,
        retain: raw.retain === true,
        count: raw.count as number | undefined,
        startDelayMs: raw.start_delay === undefined ? 0 : parseDurationMs(raw.start_delay as string),
        share: raw.devices === undefined ? 1 : parsePercentFraction(raw.devices as string),
        properties: propertiesOf(raw.properties),
      },
    };
  },
  validate,
  shard: (c, share) => (c.rate === undefined ? c : { ...c, rate: c.rate * share.fraction }),
  qos: (c) => c.qos,
  describe(c) {
    const pace = c.everyMs !== undefined ? `every ${c.everyMs / 1000}s per device` : `${c.rate}/s for the fleet`;
    const size =
      c.payload.kind === 'size'
        ? `${c.payload.min === c.payload.max ? c.payload.min : `${c.payload.min}-${c.payload.max}`} B`
        : 'template';
    return `${c.name}: ${pace}, ${size}, QoS ${c.qos}${c.count === undefined ? '' : `, ${c.count} per device`}`;
  },
};
