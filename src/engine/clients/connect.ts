/**
 * One extra client's connection: MQTT.js over the devices' transport (mTLS with the
 * client's own certificate on mqtts:// and wss://), to the CONNACK and the SUBACK of its
 * subscription. A failure says whose it is: the tool's (cannot reach the broker, does not
 * trust its certificate) or the broker's (refused the certificate, the CONNECT or the
 * subscription).
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Qos } from '../../model/messages.js';
import type { TargetSpec } from '../protocol.js';
import type { ClientsInit } from './protocol.js';

/** MQTT.js's protocol for each transport of a target (the devices': mqtt://, mqtts://, ws://, wss://). */
const PROTOCOL = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' } as const;

export class ClientFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientFailure';
  }
}

/** Node's codes for a server certificate this client does not accept. */
const UNTRUSTED =
  /^(UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;

/** Why the connection of client `id` to `where` failed, in words. */
export function failureReason(id: string, where: string, e: Error & { code?: unknown }): string {
  const code = e.code;
  if (typeof code === 'number') return `the broker at ${where} refused ${id}'s CONNECT: ${e.message}`;
  if (typeof code === 'string') {
    if (/ALERT/.test(code)) return `the broker at ${where} refused ${id}'s certificate (TLS alert ${code})`;
    if (UNTRUSTED.test(code)) return `${id} does not accept the certificate of the broker at ${where}: ${code}`;
    return `${id} cannot connect to ${where}: ${code} ${e.message}`.trim();
  }
  return `${id} cannot connect to ${where}: ${e.message}`;
}

export interface Who {
  id: string;
  certPem: string;
  keyPem: string;
}

/** Connects, resolving at the CONNACK; every failure a ClientFailure. */
export function connectClient(who: Who, init: ClientsInit, target: TargetSpec): Promise<MqttClient> {
  const where = `${target.host}:${target.port}`;
  const secure = target.transport === 'tls' || target.transport === 'wss';
  const opts: IClientOptions = {
    protocol: PROTOCOL[target.transport],
    host: target.host,
    port: target.port,
    ...(target.transport === 'ws' || target.transport === 'wss' ? { path: target.path ?? '/mqtt' } : {}),
    ...(secure
      ? {
          key: who.keyPem,
          cert: who.certPem,
          ca: init.serverCaPem,
          servername: init.servername ?? target.servername ?? target.host,
          rejectUnauthorized: true,
          ...(init.minVersion === undefined ? {} : { minVersion: init.minVersion }),
          ...(init.maxVersion === undefined ? {} : { maxVersion: init.maxVersion }),
        }
      : {}),
    clientId: who.id,
    protocolVersion: init.mqttVersion,
    keepalive: init.keepaliveS,
    clean: true,
    // the simulator owns reconnects, never the client library
    reconnectPeriod: 0,
    connectTimeout: init.connectTimeoutMs,
    resubscribe: false,
  };
  return new Promise((resolve, reject) => {
    const client = connect(opts);
    let settled = false;
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      reject(new ClientFailure(message));
    };
    const timer = setTimeout(
      () => fail(`${who.id}: no CONNACK from ${where} within ${init.connectTimeoutMs} ms`),
      init.connectTimeoutMs,
    );
    client.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      resolve(client);
    });
    const onError = (e: Error): void => fail(failureReason(who.id, where, e));
    const onClose = (): void => fail(`the broker at ${where} closed ${who.id}'s connection before its CONNACK`);
    client.on('error', onError);
    client.once('close', onClose);
  });
}

/** Subscribes at `qos`, resolving at the SUBACK; a refused subscription is a ClientFailure. */
export async function subscribeClient(
  client: MqttClient,
  id: string,
  filter: string,
  qos: Qos,
  timeoutMs: number,
): Promise<void> {
  let granted;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ClientFailure(`${id}: no SUBACK for its subscription to ${filter} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    granted = await Promise.race([client.subscribeAsync(filter, { qos }), late]);
  } catch (e) {
    if (e instanceof ClientFailure) throw e;
    // MQTT.js rejects a SUBACK with a failure code as "Subscribe error: <reason>"
    const refused = /^Subscribe error: (.*)$/.exec((e as Error).message);
    if (refused)
      throw new ClientFailure(`the broker refused ${id}'s subscription to ${filter} (SUBACK: ${refused[1]})`);
    throw new ClientFailure(`${id}: SUBSCRIBE to ${filter} failed: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  const g = granted[0];
  if (g === undefined || g.qos >= 0x80)
    throw new ClientFailure(
      `the broker refused ${id}'s subscription to ${filter} (SUBACK 0x${(g?.qos ?? 0x80).toString(16)})`,
    );
}
