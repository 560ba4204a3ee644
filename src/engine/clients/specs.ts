/**
 * Which extra clients a run's traffic needs: subscribers (`subscribers` streams) and
 * controllers (`commands` streams), each with its client id — `{n}` of its kind's template
 * numbered over every stream of that kind, so two streams never share a client id.
 */
import type { StreamConfig } from '../../traffic/stream.js';
import type { SubscribersConfig } from '../../traffic/subscribers.js';
import type { CommandsConfig } from '../../traffic/commands.js';
import { receiversOf } from '../../traffic/registry.js';
import type { ClientIdentity } from '../../pki/index.js';
import type { ClientSpec } from './protocol.js';

export interface ClientSlot {
  role: 'subscriber' | 'controller';
  id: string;
  stream: number;
  /** its number among its stream's clients */
  n: number;
}

/** Every extra client of the traffic, subscribers first, in stream order. */
export function clientSlots(traffic: readonly StreamConfig[]): ClientSlot[] {
  const out: ClientSlot[] = [];
  let subs = 0;
  let ctrls = 0;
  traffic.forEach((c, stream) => {
    if (c.kind === 'subscribers') {
      const s = c as SubscribersConfig;
      for (let n = 0; n < s.count; n++)
        out.push({ role: 'subscriber', id: s.clientId.replaceAll('{n}', String(subs++)), stream, n });
    } else if (c.kind === 'commands') {
      const k = c as CommandsConfig;
      for (let n = 0; n < k.controllers; n++)
        out.push({ role: 'controller', id: k.controllerId.replaceAll('{n}', String(ctrls++)), stream, n });
    }
  });
  return out;
}

/** Whether the traffic has a commands stream (the coordinator then reports devices to the controllers). */
export const hasCommands = (traffic: readonly StreamConfig[]): boolean => traffic.some((c) => c.kind === 'commands');

/** The client specs for the worker: slots with their minted identities (same order). */
export function clientSpecs(traffic: readonly StreamConfig[], identities: readonly ClientIdentity[]): ClientSpec[] {
  return clientSlots(traffic).map((slot, i) => {
    const who = identities[i];
    if (who === undefined || who.id !== slot.id) throw new Error(`no certificate for client ${slot.id}`);
    const base = { id: slot.id, certPem: who.certPem, keyPem: who.keyPem, stream: slot.stream };
    const c = traffic[slot.stream]!;
    if (slot.role === 'subscriber') {
      const s = c as SubscribersConfig;
      return { ...base, role: 'subscriber', filter: s.filter, qos: s.qos };
    }
    const k = c as CommandsConfig;
    return {
      ...base,
      role: 'controller',
      n: slot.n,
      of: k.controllers,
      rate: k.rate,
      commandTopic: k.commandTopic,
      responseTopic: k.responseTopic,
      qos: k.qos,
      payload: k.payload,
    };
  });
}

/** Per stream, the subscribers each of its messages should reach. */
export const receiversPerStream = (traffic: readonly StreamConfig[]): number[] =>
  traffic.map((_, i) => receiversOf(traffic, i));
