/**
 * Loading a scenario file: YAML → schema check on the YAML nodes (file:line:col for each
 * problem, all at once) → semantic checks → the part of a RunConfig the file sets.
 * Relative paths in the file are relative to the file.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { InputError, InputErrors } from '../errors.js';
import type { Fault } from '../model/names.js';
import { parseDurationMs, parsePercentFraction, parseRatePerSecond } from '../model/units.js';
import { parseThresholds, resolveMetric } from '../judge/thresholds.js';
import { SchemaChecker, positionOf, type JsonSchema, type Problem } from './schema-check.js';
import { SCENARIO_SCHEMA } from './schema.js';
import type { KeyType, LoadConfig, StormConfig, TlsVersion } from '../run/config.js';

/** What a scenario file sets; flags override it, defaults fill the rest. */
export interface ScenarioSettings {
  scenario?: string;
  targets?: string[];
  serverCa?: string;
  servername?: string;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
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
}

interface Raw {
  name?: string;
  target?: string | string[];
  tls?: { ca?: string; servername?: string; version?: string; max_version?: string; resume_ratio?: number };
  devices?: {
    count?: number;
    ca?: string;
    store?: string;
    id_template?: string;
    key?: string;
    seed?: string | number;
    uri_domain?: string;
  };
  mqtt?: { version?: number | string; keepalive?: number | string; clean?: boolean; subscribe?: string };
  load?: {
    executor: string;
    rate?: string;
    start_rate?: string;
    stages?: { duration: string; target: number | string }[];
    duration?: string;
    connections?: number;
    hold?: string;
    in_flight?: number;
    drop?: string;
    down?: string;
    backoff?: { initial?: string; max?: string };
  };
  faults?: Record<string, string>;
  thresholds?: Record<string, string | string[]>;
}

const tlsVersion = (v: string | undefined): TlsVersion | undefined =>
  v === undefined ? undefined : v === '1.2' ? 'TLSv1.2' : 'TLSv1.3';

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

export function parseScenario(text: string, file: string): ScenarioSettings {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const fail = (problems: Problem[]): never => {
    throw new InputErrors(
      problems.map(
        (p) => new InputError({ file, line: p.line, column: p.column }, p.path ? `${p.path}: ${p.message}` : p.message),
      ),
    );
  };
  if (doc.errors.length > 0) {
    fail(
      doc.errors.map((e) => ({
        path: '',
        line: e.linePos?.[0]?.line ?? 1,
        column: e.linePos?.[0]?.col ?? 1,
        message: `YAML: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const checker = new SchemaChecker(lc);
  checker.check(doc.contents as Node, SCENARIO_SCHEMA as JsonSchema, '');
  const problems: Problem[] = [];
  const at = (path: (string | number)[], message: string): void => {
    const node = doc.getIn(path, true) as Node | undefined;
    problems.push({
      path: path
        .map((p) => (typeof p === 'number' ? `[${p}]` : p))
        .join('.')
        .replace(/\.\[/g, '['),
      ...positionOf(node ?? (doc.contents as Node), lc),
      message,
    });
  };
  const raw = doc.toJS() as Raw;
  const s: ScenarioSettings = {};
  // thresholds are checked even when the schema check failed, so every problem shows at once
  if (raw.thresholds && typeof raw.thresholds === 'object' && !Array.isArray(raw.thresholds)) {
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
  for (const p of checker.problems) {
    if (p.path === 'faults.key_mismatch') {
      p.message =
        'key_mismatch is a local configuration error (the device cannot even complete its side of the handshake), not a credential a broker accepts or rejects: herd refuses it before the run';
    }
  }
  if (checker.problems.length > 0)
    fail([...checker.problems, ...problems].sort((a, b) => a.line - b.line || a.column - b.column));
  const base = dirname(resolve(file));
  const path = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(base, p));
  if (raw.name !== undefined) s.scenario = raw.name;
  if (raw.target !== undefined) s.targets = Array.isArray(raw.target) ? raw.target : [raw.target];
  if (raw.tls) {
    const t = raw.tls;
    if (t.servername !== undefined) s.servername = t.servername;
    if (t.version !== undefined) s.minVersion = tlsVersion(t.version)!;
    if (t.max_version !== undefined) s.maxVersion = tlsVersion(t.max_version)!;
    if (t.ca !== undefined) s.serverCa = path(t.ca);
    if (t.resume_ratio !== undefined) s.resumeRatio = t.resume_ratio;
    if (t.version === '1.3' && t.max_version === '1.2') at(['tls', 'max_version'], 'is below tls.version');
  }
  const d = raw.devices;
  if (d) {
    if (d.count !== undefined) s.devices = d.count;
    if (d.ca !== undefined) s.pkiDir = path(d.ca);
    if (d.store !== undefined) s.store = path(d.store);
    if (d.id_template !== undefined) s.idTemplate = d.id_template;
    if (d.key !== undefined) s.key = d.key as KeyType;
    if (d.seed !== undefined) s.seed = String(d.seed);
    if (d.uri_domain !== undefined) s.uriDomain = d.uri_domain;
  }
  const m = raw.mqtt;
  if (m) {
    if (m.version !== undefined) s.mqttVersion = String(m.version).startsWith('5') ? 5 : 4;
    if (m.keepalive !== undefined) {
      s.keepaliveS = typeof m.keepalive === 'number' ? m.keepalive : parseDurationMs(m.keepalive) / 1000;
      if (!Number.isInteger(s.keepaliveS) || s.keepaliveS > 65535)
        at(['mqtt', 'keepalive'], 'expected whole seconds up to 65535');
    }
    if (m.subscribe !== undefined) s.subscribe = m.subscribe;
  }
  if (raw.load) loadSection(raw.load, s, at);
  if (raw.faults) {
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
  if (problems.length > 0) fail(problems);
  return s;
}

function loadSection(
  l: NonNullable<Raw['load']>,
  s: ScenarioSettings,
  at: (path: (string | number)[], message: string) => void,
): void {
  const need = (key: keyof typeof l, what: string): boolean => {
    if (l[key] !== undefined) return true;
    at(['load', 'executor'], `${l.executor} needs load.${key} (${what})`);
    return false;
  };
  const dur = (v: string | undefined): number | undefined => (v === undefined ? undefined : parseDurationMs(v));
  if (l.hold !== undefined) s.holdMs = parseDurationMs(l.hold);
  if (l.in_flight !== undefined) s.inFlight = l.in_flight;
  const rate = l.rate === undefined || l.rate === 'max' ? undefined : parseRatePerSecond(l.rate);
  let load: LoadConfig | undefined;
  switch (l.executor) {
    case 'arrival-rate':
      if (need('rate', 'e.g. 200/s'))
        load =
          l.rate === 'max'
            ? { executor: 'closed-loop', durationMs: dur(l.duration) }
            : { executor: 'arrival-rate', rate: rate!, durationMs: dur(l.duration) };
      break;
    case 'closed-loop':
      load = { executor: 'closed-loop', durationMs: dur(l.duration) };
      break;
    case 'ramping-arrival-rate':
      if (need('stages', 'a list of {duration, target}')) {
        load = {
          executor: 'ramping-arrival-rate',
          startRate: l.start_rate === undefined ? 0 : parseRatePerSecond(l.start_rate),
          stages: l.stages!.map((st) => ({
            durationMs: parseDurationMs(st.duration),
            target: typeof st.target === 'number' ? st.target : parseRatePerSecond(st.target),
          })),
        };
        if (load.stages.every((st) => st.target === 0) && load.startRate === 0)
          at(['load', 'stages'], 'every stage has target 0: nothing would connect');
      }
      break;
    case 'constant-connections':
      if (
        need('rate', 'the ramp-up rate, e.g. 200/s') &&
        need('duration', 'how long to keep them connected') &&
        rate !== undefined
      ) {
        load = {
          executor: 'constant-connections',
          connections: l.connections ?? 0,
          rate,
          durationMs: dur(l.duration)!,
        };
        s.holdMs = Infinity;
        if (l.hold !== undefined)
          at(['load', 'hold'], 'constant-connections holds every connection until the duration ends: remove hold');
      }
      break;
    case 'reconnect-storm': {
      const storm: StormConfig = {
        drop: (l.drop as StormConfig['drop'] | undefined) ?? 'broker-restart',
        downMs: dur(l.down) ?? 2000,
        initialBackoffMs: dur(l.backoff?.initial) ?? 5000,
        maxBackoffMs: dur(l.backoff?.max) ?? 60_000,
        settleMs: dur(l.duration) ?? 5000,
      };
      if (storm.maxBackoffMs < storm.initialBackoffMs) at(['load', 'backoff', 'max'], 'is below backoff.initial');
      if (need('rate', 'the rate at which the devices first connect, e.g. 500/s') && rate !== undefined) {
        load = { executor: 'reconnect-storm', connections: l.connections ?? 0, rate, storm };
        s.holdMs = Infinity;
      }
      break;
    }
  }
  if (load) s.load = load;
}

export type { Document };
