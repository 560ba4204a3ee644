/**
 * `subscribers`: extra clients (their own certificates, client id `subscriber-{n}`) that
 * subscribe to a filter and count and time what they receive: one publish reaching many
 * subscribers is fan-out, many devices reaching one is fan-in.
 */
import type { Qos } from '../model/messages.js';
import { check, type ConfigProblem } from '../load/executor.js';
import { topicFilterProblem } from './topics.js';
import type { Stream } from './stream.js';

export interface SubscribersConfig {
  kind: 'subscribers';
  name: string;
  count: number;
  filter: string;
  qos: Qos;
  clientId: string;
}

export const subscribers: Stream<SubscribersConfig> = {
  kind: 'subscribers',
  description: 'extra clients subscribed to a filter, counting and timing what they receive (fan-out, fan-in)',
  schema: {
    count: { type: 'integer', minimum: 1, description: 'subscribers (default 1)' },
    filter: {
      type: 'string',
      description: 'topic filter, + and # allowed, $share/<group>/... too (default devices/+/telemetry)',
    },
    qos: { type: 'integer', enum: [0, 1, 2] },
    client_id: {
      type: 'string',
      description: 'client id and certificate CN of subscriber {n} (default subscriber-{n})',
    },
  },
  fromScenario(raw, name) {
    return {
      ok: true,
      config: {
        kind: 'subscribers',
        name,
        count: (raw.count as number | undefined) ?? 1,
        filter: (raw.filter as string | undefined) ?? 'devices/+/telemetry',
        qos: (raw.qos as Qos | undefined) ?? 0,
        clientId: (raw.client_id as string | undefined) ?? 'subscriber-{n}',
      },
    };
  },
  validate(c) {
    const p: ConfigProblem[] = [];
    check.positiveInt(c.count, ['count'], p);
    const f = topicFilterProblem(c.filter);
    if (f !== null) p.push({ path: ['filter'], message: f });
    if (c.count > 1 && !c.clientId.includes('{n}'))
      p.push({ path: ['client_id'], message: 'several subscribers need {n} in their client id' });
    return p;
  },
  shard: (c, share) => ({ ...c, count: Math.max(1, share.part(c.count)) }),
  qos: (c) => c.qos,
  describe: (c) => `${c.name}: ${c.count} subscriber(s) to ${c.filter}, QoS ${c.qos}`,
};
