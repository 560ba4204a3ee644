/**
 * Broker addresses: a target URL's scheme says how devices reach the broker — `mqtt://`
 * plain TCP, `mqtts://` TLS (also `ssl://`, `tls://`, and a bare host:port), `ws://` and
 * `wss://` MQTT over WebSocket (path default `/mqtt`, subprotocol `mqtt`) — with the
 * default ports 1883, 8883, 80 and 443. Hosts may be IPv6 literals in brackets.
 */
import type { Transport } from '../model/names.js';

export type { Transport };

export interface BrokerAddress {
  transport: Transport;
  host: string;
  port: number;
  /** WebSocket: the path (and query) of the upgrade request; undefined for mqtt:// and mqtts:// */
  path: string | undefined;
}

const SCHEMES: Readonly<Record<string, Transport>> = {
  mqtt: 'tcp',
  tcp: 'tcp',
  mqtts: 'tls',
  ssl: 'tls',
  tls: 'tls',
  ws: 'ws',
  wss: 'wss',
};

export const DEFAULT_PORTS: Readonly<Record<Transport, number>> = { tcp: 1883, tls: 8883, ws: 80, wss: 443 };

/** The path of a WebSocket target that names none (mosquitto, EMQX, HiveMQ, AWS IoT all serve MQTT there). */
export const DEFAULT_WS_PATH = '/mqtt';

/** The WebSocket subprotocol of MQTT 3.1.1 and 5 (the spec's "mqtt"). */
export const WS_SUBPROTOCOL = 'mqtt';

/** The schemes a target URL may have, for messages and the schema. */
export const TARGET_SCHEMES = Object.keys(SCHEMES);

const URL_RE = /^(?:([A-Za-z]+):\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?(\/[^\s#]*)?$/;

/** Parses a target URL; undefined when it is malformed (an unknown scheme, a bad port, a path on mqtt(s)://). */
export function parseBrokerUrl(url: string): BrokerAddress | undefined {
  const m = URL_RE.exec(url.trim());
  if (!m) return undefined;
  const transport = m[1] === undefined ? 'tls' : SCHEMES[m[1].toLowerCase()];
  if (transport === undefined) return undefined;
  const port = m[3] === undefined ? DEFAULT_PORTS[transport] : Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  const rawPath = m[4];
  const ws = transport === 'ws' || transport === 'wss';
  if (!ws && rawPath !== undefined && rawPath !== '/') return undefined;
  const path = ws ? (rawPath === undefined || rawPath === '' ? DEFAULT_WS_PATH : rawPath) : undefined;
  return { transport, host: m[2]!.replace(/^\[|\]$/g, ''), port, path };
}

/** The transport uses TLS (a device certificate and the server's CA matter). */
export function isSecure(t: Transport): boolean {
  return t === 'tls' || t === 'wss';
}

/** The URL a target is shown as: scheme, host (IPv6 in brackets), port, and a WebSocket path. */
export function formatBrokerUrl(a: {
  transport: Transport;
  host: string;
  port: number;
  path?: string | undefined;
}): string {
  const scheme = a.transport === 'tcp' ? 'mqtt' : a.transport === 'tls' ? 'mqtts' : a.transport;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  const ws = a.transport === 'ws' || a.transport === 'wss';
  return `${scheme}://${host}:${a.port}${ws ? (a.path ?? DEFAULT_WS_PATH) : ''}`;
}
