/**
 * A run's resolved configuration: what the scenario file and the flags boil down to
 * (flags override the file; defaults fill the rest).
 */
import type { Fault, KeyType, TlsVersion } from '../model/names.js';
import type { LoadConfig } from '../load/executor.js';
import type { BackoffConfig } from '../load/reconnect.js';
import type { StreamConfig } from '../traffic/stream.js';
import type { TlsContexts } from '../model/summary.js';
import { parseBrokerUrl, type BrokerAddress } from '../mqtt/index.js';

export interface RunConfig {
  scenario: string;
  /** mqtt://, mqtts://, ws:// or wss:// URLs, several for a cluster (they may mix); empty: start the embedded broker */
  targets: string[];
  pkiDir: string | undefined;
  store: string | undefined;
  serverCa: string | undefined;
  devices: number;
  uriDomain: string;
  idTemplate: string;
  seed: string | undefined;
  key: KeyType;
  /** the executor's config (src/load) */
  load: LoadConfig;
  inFlight: number;
  /** ms each connection stays up after CONNACK (Infinity: until the run ends) */
  holdMs: number;
  /** devices that fail to connect or lose their session retry with this backoff; undefined: they do not */
  reconnect: BackoffConfig | undefined;
  mqtt: {
    version: 4 | 5;
    keepaliveS: number;
    subscribe: string | undefined;
    /** clean start (false: the broker keeps the session across reconnects) */
    clean: boolean;
    /** MQTT 5 Session Expiry Interval with clean false, seconds */
    sessionExpiryS: number;
  };
  /** what devices do once connected (src/traffic); empty: they connect, hold and ping */
  traffic: StreamConfig[];
  tls: {
    /** shared: one TLS context per worker, each device's certificate set per connect; per-device: a context each */
    contexts: TlsContexts;
    servername: string | undefined;
    minVersion: TlsVersion | undefined;
    maxVersion: TlsVersion | undefined;
    /** ALPN protocols to offer, in order (AWS IoT Core on 443: x-amzn-mqtt-ca) */
    alpn: string[] | undefined;
    /** key exchange groups in order of preference, X25519:P-256 (Node's ecdhCurve) */
    groups: string | undefined;
    /** OpenSSL cipher list and/or TLS 1.3 suites */
    ciphers: string | undefined;
  };
  timeouts: { tcpMs: number; tlsMs: number; wsMs: number; connackMs: number; subscribeMs: number };
  workers: number;
  /** generator processes (undefined: as many as the open-files limit requires) */
  processes: number | undefined;
  sourceIps: string[];
  outDir: string | undefined;
  metricsPort: number | undefined;
  lingerMs: number;
  push: string | undefined;
  shard: { index: number; count: number };
  startAt: number | undefined;
  baseline: string | undefined;
  /** with a baseline: how much worse a metric may get (fraction) and which metrics count */
  maxRegression: number;
  baselineMetrics: string[];
  thresholds: Record<string, string[]>;
  /** hold the run to the default gates (judge/gates.ts) where the thresholds leave them */
  defaultGates: boolean;
  /** share of devices given each credential fault (they must be rejected) */
  faults: Partial<Record<Fault, number>>;
  /** share of reconnects that resume a TLS session */
  resumeRatio: number;
  /** print the live progress line and the summary */
  quiet: boolean;
}

export const DEFAULTS = {
  devices: 1000,
  uriDomain: 'herd.local',
  idTemplate: 'dev-{i}',
  inFlight: 100,
  holdMs: 10_000,
  keepaliveS: 60,
  timeouts: { tcpMs: 10_000, tlsMs: 10_000, wsMs: 10_000, connackMs: 10_000, subscribeMs: 10_000 },
  lingerMs: 0,
} as const;

/**
 * The demo (`herd run` with no arguments): a few thousand devices against the embedded broker.
 * Generator and broker share the machine; a connect costs them ~10 ms of CPU together (~6 ms
 * the generator, ~4 ms the broker, both mostly TLS), so two cores carry ~200/s at most: at
 * 150/s the schedule is kept on two quiet cores (400/s was not: ~260/s, connects seconds late).
 */
export const DEMO = { devices: 2000, rate: 150, holdMs: 5_000 } as const;

/**
 * Parse a target URL — mqtt://, mqtts:// (or a bare host:port), ws://, wss:// with a path —
 * into where and how to connect; undefined when malformed.
 */
export function parseTarget(url: string): BrokerAddress | undefined {
  return parseBrokerUrl(url);
}

/** Expand `127.0.0.2-127.0.0.9` and comma lists into addresses (IPv4 ranges within one /24… /16). */
export function expandSourceIps(spec: string): string[] | undefined {
  const out: string[] = [];
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const r = part.match(/^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+)$/);
    if (r) {
      const a = ipv4ToInt(r[1]!);
      const b = ipv4ToInt(r[2]!);
      if (a === undefined || b === undefined || b < a || b - a > 65535) return undefined;
      for (let x = a; x <= b; x++) out.push(intToIpv4(x));
    } else if (ipv4ToInt(part) !== undefined || /^[0-9a-fA-F:]+$/.test(part)) {
      out.push(part);
    } else {
      return undefined;
    }
  }
  return out.length ? out : undefined;
}

function ipv4ToInt(s: string): number | undefined {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

function intToIpv4(x: number): string {
  return [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
}
