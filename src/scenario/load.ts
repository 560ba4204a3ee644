/**
 * src/scenario: the scenario file — its schema (schema.ts, built from the executors'
 * fragments), the checker that runs it on YAML nodes, and this loader. YAML → schema check on the YAML nodes (file:line:col for
 * each problem, all at once) → semantic checks → the part of a RunConfig the file sets.
 * Relative paths in the file are relative to the file.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { InputError, InputErrors, type SourcePosition } from '../errors.js';
import type { Fault, KeyType, TlsVersion } from '../model/names.js';
import { parseDurationMs, parsePercentFraction } from '../model/units.js';
import { parseThresholds, resolveMetric } from '../judge/thresholds.js';
import { executorOf, loadFromFlags, loadFromScenario, validateLoad } from '../load/registry.js';
import type { LoadConfig } from '../load/executor.js';
import { DEVICE_BACKOFF, type BackoffConfig, type Jitter } from '../load/reconnect.js';
import { trafficFromScenario, validateTraffic } from '../traffic/registry.js';
import type { StreamConfig } from '../traffic/stream.js';
import { SchemaChecker, positionOf, type Problem } from './schema-check.js';
import { alpnProblem, ciphersProblem, groupsProblem, parseBrokerUrl, servernameProblem } from '../mqtt/index.js';
import { scenarioSchema } from './schema.js';

/** What a scenario file sets; flags override it, defaults fill the rest. */
export interface ScenarioSettings {
  scenario?: string;
  targets?: string[];
  serverCa?: string;
  servername?: string;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  alpn?: string[];
  groups?: string;
  ciphers?: string;
  resumeRatio?: number;
  devices?: number;
  pkiDir?: string;
  store?: string;
  idTemplate?: string;
  key?: KeyType;
  seed?: string;
  uriDomain?: string;
  mqttVersion?: 4 | 5;
  keepaliveS?: number;
  subscribe?: string;
  load?: LoadConfig;
  holdMs?: number;
  inFlight?: number;
  faults?: Partial<Record<Fault, number>>;
  thresholds?: Record<string, string[]>;
  /** what devices do once connected (traffic streams) */
  traffic?: StreamConfig[];
  /** MQTT clean start (false: persistent sessions) and, with MQTT 5, the session expiry */
  clean?: boolean;
  sessionExpiryS?: number;
  /** retries with backoff for devices that fail or lose their session; null: the scenario turned them off */
  reconnect?: BackoffConfig | null;
  /** where the settings came from: a problem found later (once flags are applied) points into the file */
  origin?: { file: string; locate(path: readonly (string | number)[]): SourcePosition };
}

interface Raw {
  name?: string;
  target?: string | string[];
  tls?: {
    ca?: string;
    servername?: string;
    version?: string;
    max_version?: string;
    resume_ratio?: number;
    alpn?: string | string[];
    groups?: string;
    ciphers?: string;
  };
  devices?: {
    count?: number;
    ca?: string;
    store?: string;
    id_template?: string;
    key?: string;
    seed?: string | number;
    uri_domain?: string;
  };
  mqtt?: {
    version?: number | string;
    keepalive?: number | string;
    clean?: boolean;
    session_expiry?: string;
    subscribe?: string;
  };
  traffic?: Record<string, unknown>[];
  load?: Record<string, unknown> & {
    executor: string;
    hold?: string;
    in_flight?: number;
    reconnect?: boolean | { initial?: string; max?: string; jitter?: Jitter; attempts?: number };
  };
  faults?: Record<string, string>;
  thresholds?: Record<string, string | string[]>;
}

type At = (path: (string | number)[], message: string) => void;

const KEY_MISMATCH =
  'key_mismatch is a local configuration error (the device cannot even complete its side of the handshake), ' +
  'not a credential a broker accepts or rejects: herd refuses it before the run';

const tlsVersion = (v: string): TlsVersion => (v === '1.2' ? 'TLSv1.2' : 'TLSv1.3');

export function loadScenario(file: string): ScenarioSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(
      { file },
      `cannot read the scenario: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return parseScenario(text, file);
}

function fail(file: string, problems: Problem[]): never {
  throw new InputErrors(
    problems.map(
      (p) => new InputError({ file, line: p.line, column: p.column }, p.path ? `${p.path}: ${p.message}` : p.message),
    ),
  );
}

const pathText = (path: readonly (string | number)[]): string =>
  path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');

export function parseScenario(text: string, file: string): ScenarioSettings {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    fail(
      file,
      doc.errors.map((e) => {
        // where the parser stopped: its own position, or the offset it points at
        const at = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
        return {
          path: '',
          line: at.line,
          column: at.col,
          message: `YAML: ${(e.message.split('\n')[0] ?? '').slice(0, 200)}`,
        };
      }),
    );
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    fail(file, [
      { path: '', line: 1, column: 1, message: 'the scenario is empty: expected a mapping (name, devices, load, ...)' },
    ]);
  }
  const locate = (path: readonly (string | number)[]): { line: number; column: number } =>
    positionOf((doc.getIn(path, true) as Node | undefined) ?? doc.contents, lc);
  const problems: Problem[] = [];
  const at: At = (path, message) => problems.push({ path: pathText(path), ...locate(path), message });
  const checker = new SchemaChecker(lc);
  checker.check(doc.contents, scenarioSchema(), '');
  for (const p of checker.problems) if (p.path === 'faults.key_mismatch') p.message = KEY_MISMATCH;
  const raw = doc.toJS() as Raw;
  const s: ScenarioSettings = { origin: { file, locate: (path) => ({ file, ...locate(path) }) } };
  // thresholds are checked even when the schema check failed, so every problem shows at once
  thresholdsSection(raw, s, at);
  if (checker.problems.length > 0)
    fail(
      file,
      [...checker.problems, ...problems].sort((a, b) => a.line - b.line || a.column - b.column),
    );
  const path = (p: string | undefined): string | undefined =>
    p === undefined ? undefined : resolve(dirname(resolve(file)), p);
  if (raw.name !== undefined) s.scenario = raw.name;
  if (raw.target !== undefined) {
    s.targets = Array.isArray(raw.target) ? raw.target : [raw.target];
    s.targets.forEach((t, i) => {
      if (parseBrokerUrl(t) === undefined)
        at(
          Array.isArray(raw.target) ? ['target', i] : ['target'],
          `expected mqtt://, mqtts://, ws:// or wss:// host:port (ws: and a path, default /mqtt), got "${t}"`,
        );
    });
  }
  tlsSection(raw, s, at, path);
  devicesSection(raw, s, path);
  mqttSection(raw, s, at);
  if (raw.load) loadSection(raw.load, s, at);
  faultsSection(raw, s, at);
  trafficSection(raw, s, at);
  if (problems.length > 0) fail(file, problems);
  return s;
}

function thresholdsSection(raw: Raw, s: ScenarioSettings, at: At): void {
  if (!raw.thresholds || typeof raw.thresholds !== 'object' || Array.isArray(raw.thresholds)) return;
  const parsed = parseThresholds(raw.thresholds);
  for (const e of parsed.errors) {
    // shape problems (not a list, not a string) are the schema check's to report
    if (e.expression === null && resolveMetric(e.metric) !== null) continue;
    if (e.index === null) at(['thresholds', e.metric], e.message);
    else at(['thresholds', e.metric, e.index], e.message.replace(/^[^:]*: /, ''));
  }
  s.thresholds = Object.fromEntries(
    Object.entries(raw.thresholds).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : [String(v)]]),
  );
}

function tlsSection(raw: Raw, s: ScenarioSettings, at: At, path: (p: string | undefined) => string | undefined): void {
  const t = raw.tls;
  if (!t) return;
  if (t.servername !== undefined) {
    const bad = servernameProblem(t.servername);
    if (bad) at(['tls', 'servername'], bad);
    s.servername = t.servername;
  }
  if (t.alpn !== undefined) {
    const list = Array.isArray(t.alpn) ? t.alpn : [t.alpn];
    const bad = alpnProblem(list);
    if (bad) at(['tls', 'alpn'], bad);
    s.alpn = list;
  }
  if (t.groups !== undefined) {
    const bad = groupsProblem(t.groups);
    if (bad) at(['tls', 'groups'], bad);
    s.groups = t.groups;
  }
  if (t.ciphers !== undefined) {
    const bad = ciphersProblem(t.ciphers);
    if (bad) at(['tls', 'ciphers'], bad);
    s.ciphers = t.ciphers;
  }
  if (t.version !== undefined) s.minVersion = tlsVersion(t.version);
  if (t.max_version !== undefined) s.maxVersion = tlsVersion(t.max_version);
  if (t.ca !== undefined) s.serverCa = path(t.ca);
  if (t.resume_ratio !== undefined) s.resumeRatio = t.resume_ratio;
  if (t.version === '1.3' && t.max_version === '1.2') at(['tls', 'max_version'], 'is below tls.version');
}

function devicesSection(raw: Raw, s: ScenarioSettings, path: (p: string | undefined) => string | undefined): void {
  const d = raw.devices;
  if (!d) return;
  if (d.count !== undefined) s.devices = d.count;
  if (d.ca !== undefined) s.pkiDir = path(d.ca);
  if (d.store !== undefined) s.store = path(d.store);
  if (d.id_template !== undefined) s.idTemplate = d.id_template;
  if (d.key !== undefined) s.key = d.key as KeyType;
  if (d.seed !== undefined) s.seed = String(d.seed);
  if (d.uri_domain !== undefined) s.uriDomain = d.uri_domain;
}

function mqttSection(raw: Raw, s: ScenarioSettings, at: At): void {
  const m = raw.mqtt;
  if (!m) return;
  if (m.version !== undefined) s.mqttVersion = String(m.version).startsWith('5') ? 5 : 4;
  if (m.keepalive !== undefined) {
    s.keepaliveS = typeof m.keepalive === 'number' ? m.keepalive : parseDurationMs(m.keepalive) / 1000;
    if (!Number.isInteger(s.keepaliveS) || s.keepaliveS > 65535)
      at(['mqtt', 'keepalive'], 'expected whole seconds up to 65535');
  }
  if (m.subscribe !== undefined) s.subscribe = m.subscribe;
  if (m.clean !== undefined) s.clean = m.clean;
  if (m.session_expiry !== undefined) s.sessionExpiryS = parseDurationMs(m.session_expiry) / 1000;
}

/** `traffic:` — each stream's module parses its entry; problems point at the entry's keys. */
function trafficSection(raw: Raw, s: ScenarioSettings, at: At): void {
  if (raw.traffic === undefined) return;
  const parsed = trafficFromScenario(raw.traffic);
  if (!parsed.ok) {
    for (const p of parsed.problems) at(['traffic', ...p.path], p.message);
    return;
  }
  const shape = {
    devices: s.devices ?? Number.MAX_SAFE_INTEGER,
    mqttVersion: s.mqttVersion ?? 4,
    holdMs: s.holdMs ?? 1,
  };
  for (const p of validateTraffic(parsed.config, shape)) at(['traffic', ...p.path], p.message);
  s.traffic = parsed.config;
}

/** `load:` — the keys every executor shares here; the rest is its executor's to parse. */
function loadSection(l: NonNullable<Raw['load']>, s: ScenarioSettings, at: At): void {
  if (l.hold !== undefined) s.holdMs = parseDurationMs(l.hold);
  if (l.in_flight !== undefined) s.inFlight = l.in_flight;
  if (l.reconnect !== undefined) s.reconnect = reconnectOf(l.reconnect);
  const parsed = loadFromScenario(l);
  if (!parsed.ok) {
    for (const p of parsed.problems) at(['load', ...p.path], p.message);
    return;
  }
  if (s.reconnect && !executorOf(parsed.config).acceptsReconnect)
    at(['load', 'reconnect'], `${l.executor} reconnects its own way (or not at all): remove reconnect`);
  if (executorOf(parsed.config).holdsUntilEnd) {
    if (l.hold !== undefined)
      at(['load', 'hold'], `${l.executor} holds every connection until the duration ends: remove hold`);
    s.holdMs = Infinity;
  }
  // what can be checked without the flags (the device count may still change): defaults applied as a run would
  const shape = { devices: s.devices ?? Number.MAX_SAFE_INTEGER, inFlight: s.inFlight ?? 1, holdMs: s.holdMs ?? 1 };
  const resolved = loadFromFlags(undefined, {}, parsed.config, shape);
  for (const p of validateLoad(resolved, shape)) at(['load', ...p.path], p.message);
  s.load = parsed.config;
}

/** `reconnect: true`, `false`, or its settings over the device SDKs' defaults. */
function reconnectOf(r: NonNullable<NonNullable<Raw['load']>['reconnect']>): BackoffConfig | null {
  if (r === false) return null;
  if (r === true) return DEVICE_BACKOFF;
  return {
    initialMs: r.initial === undefined ? DEVICE_BACKOFF.initialMs : parseDurationMs(r.initial),
    maxMs: r.max === undefined ? DEVICE_BACKOFF.maxMs : parseDurationMs(r.max),
    jitter: r.jitter ?? DEVICE_BACKOFF.jitter,
    maxAttempts: r.attempts ?? DEVICE_BACKOFF.maxAttempts,
  };
}

function faultsSection(raw: Raw, s: ScenarioSettings, at: At): void {
  if (!raw.faults) return;
  const faults: Partial<Record<Fault, number>> = {};
  let total = 0;
  for (const [k, v] of Object.entries(raw.faults)) {
    const f = parsePercentFraction(v);
    faults[k as Fault] = f;
    total += f;
  }
  if (total > 1) at(['faults'], `the shares add up to ${(total * 100).toFixed(2)}%, more than every device`);
  s.faults = faults;
}

export type { Document };
