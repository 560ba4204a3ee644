/**
 * `commands` (controller → device → controller): controller clients with certificates of
 * their own (minted like devices, client id `controller-{n}`) publish commands to the
 * devices' command topic at a fleet-wide rate; a device, subscribed to its command topic,
 * answers on the response topic — MQTT 5 with Response Topic and Correlation Data, MQTT
 * 3.1.1 with the response topic template and the correlation id in the payload. The
 * controllers subscribe to the responses (a shared subscription when there are several)
 * and time each round trip.
 */
import { parseRatePerSecond } from '../model/units.js';
import type { Qos } from '../model/messages.js';
import { check, type ConfigProblem } from '../load/executor.js';
import { HEADER_BYTES } from './header.js';
import { topicNameProblem, unknownPlaceholders } from './topics.js';
import type { Stream } from './stream.js';

export interface CommandsConfig {
  kind: 'commands';
  name: string;
  controllers: number;
  /** commands per second over the fleet */
  rate: number;
  commandTopic: string;
  responseTopic: string;
  qos: Qos;
  /** bytes of each command and response */
  payload: number;
  /** client id (and certificate CN) of controller n */
  controllerId: string;
}

const topic = (c: CommandsConfig, key: 'commandTopic' | 'responseTopic', path: string, p: ConfigProblem[]): void => {
  const t = c[key];
  const problem = topicNameProblem(t.replace(/\{[^}]*\}/g, 'x'));
  if (problem !== null) p.push({ path: [path], message: problem });
  for (const v of unknownPlaceholders(t)) p.push({ path: [path], message: `unknown placeholder {${v}}` });
  if (!t.includes('{id}') && !t.includes('{i}'))
    p.push({ path: [path], message: 'expected a per-device topic: it holds {id} or {i}' });
};

export const commands: Stream<CommandsConfig> = {
  kind: 'commands',
  description: 'controllers send commands at a rate; devices answer on a response topic; round trips timed',
  schema: {
    controllers: { type: 'integer', minimum: 1, description: 'controller clients (default 1)' },
    rate: { type: 'string', format: 'rate', description: 'commands per second, over the fleet' },
    command_topic: { type: 'string', description: 'default devices/{id}/commands' },
    response_topic: { type: 'string', description: 'default devices/{id}/responses' },
    qos: { type: 'integer', enum: [0, 1, 2] },
    payload: { type: 'integer', minimum: 1, description: 'bytes of a command and of a response (default 64)' },
    controller_id: {
      type: 'string',
      description: 'client id and certificate CN of controller {n} (default controller-{n})',
    },
  },
  required: ['rate'],
  fromScenario(raw, name) {
    return {
      ok: true,
      config: {
        kind: 'commands',
        name,
        controllers: (raw.controllers as number | undefined) ?? 1,
        rate: parseRatePerSecond(raw.rate as string),
        commandTopic: (raw.command_topic as string | undefined) ?? 'devices/{id}/commands',
        responseTopic: (raw.response_topic as string | undefined) ?? 'devices/{id}/responses',
        qos: (raw.qos as Qos | undefined) ?? 1,
        payload: (raw.payload as number | undefined) ?? 64,
        controllerId: (raw.controller_id as string | undefined) ?? 'controller-{n}',
      },
    };
  },
  validate(c) {
    const p: ConfigProblem[] = [];
    check.positiveInt(c.controllers, ['controllers'], p);
    check.rate(c.rate, ['rate'], p);
    topic(c, 'commandTopic', 'command_topic', p);
    topic(c, 'responseTopic', 'response_topic', p);
    if (c.payload < HEADER_BYTES)
      p.push({ path: ['payload'], message: `expected at least ${HEADER_BYTES} bytes (the header)` });
    if (c.controllers > 1 && !c.controllerId.includes('{n}'))
      p.push({ path: ['controller_id'], message: 'several controllers need {n} in their client id' });
    return p;
  },
  shard: (c, share) => ({ ...c, rate: c.rate * share.fraction, controllers: Math.max(1, share.part(c.controllers)) }),
  qos: (c) => c.qos,
  describe: (c) => `${c.name}: ${c.controllers} controller(s), ${c.rate}/s, QoS ${c.qos}`,
};
