/**
 * Traffic test helpers: a scenario file with a `traffic:` list, and publishers of our own
 * (MQTT.js over mTLS with certificates from the run's CA) that send herd messages — each
 * PUBLISH with the header a receiver reads (stream, publisher, seq, intended time).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { loadCa, mintClientIdentities } from '../../src/pki/index.js';
import { readHeader, writeHeader } from '../../src/traffic/header.js';
import { epochNow } from '../../src/util/clock.js';

export function scenarioFile(yaml: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'herd-traffic-')), 'scenario.yaml');
  writeFileSync(f, yaml);
  return f;
}

/** MQTT.js clients with certificates from the CA in `pkiDir`, CN = client id. */
export async function clientsOf(
  pkiDir: string,
  ids: string[],
  port: number,
  version: 4 | 5 = 4,
): Promise<MqttClient[]> {
  const ca = loadCa(pkiDir);
  const who = mintClientIdentities(ca, { country: 'US', org: 'mqtt-herd', uriDomain: 'herd.local' }, 'test', ids);
  return Promise.all(
    who.map((w) =>
      connectAsync({
        protocol: 'mqtts',
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: ca.certPem,
        cert: w.certPem,
        key: w.keyPem,
        clientId: w.id,
        protocolVersion: version,
        reconnectPeriod: 0,
      }),
    ),
  );
}

/** `count` herd messages of stream `stream` from publisher `device` to `topic` (acked at QoS 1/2). */
export async function publishHerd(
  c: MqttClient,
  o: { topic: string; stream: number; device: number; count: number; qos: 0 | 1 | 2; bytes?: number },
): Promise<void> {
  for (let seq = 0; seq < o.count; seq++) {
    const payload = Buffer.alloc(o.bytes ?? 64);
    writeHeader(payload, { stream: o.stream, device: o.device, seq, intended: epochNow(), correlation: 0 });
    await c.publishAsync(o.topic, payload, { qos: o.qos });
  }
}

export interface CommandLog {
  /** commands seen, with what they carried */
  commands: { topic: string; seq: number; correlation: number; responseTopic?: string; correlationData?: Buffer }[];
}

/** Watches every command on `devices/+/commands` (the devices answer them; this only looks). */
export async function watchCommands(c: MqttClient, qos: 0 | 1 | 2): Promise<CommandLog> {
  const r: CommandLog = { commands: [] };
  c.on('message', (topic, payload, packet) => {
    const h = readHeader(payload);
    if (h === null) return;
    const props = packet.properties;
    r.commands.push({
      topic,
      seq: h.seq,
      correlation: h.correlation,
      ...(props?.responseTopic === undefined ? {} : { responseTopic: props.responseTopic }),
      ...(props?.correlationData === undefined ? {} : { correlationData: Buffer.from(props.correlationData) }),
    });
  });
  await c.subscribeAsync('devices/+/commands', { qos });
  return r;
}
