/**
 * `herd run` flags → RunConfig, over a scenario's settings. Every bad flag is a usage error
 * naming the flag (exit 2); a problem in what the file set names the file, line and column.
 */
import { availableParallelism } from 'node:os';
import { InputError, InputErrors, UsageError } from '../errors.js';
import { type KeyType, type TlsVersion } from '../model/names.js';
import { TLS_CONTEXTS, type TlsContexts } from '../model/summary.js';
import { unmintableKey } from '../pki/index.js';
import {
  bool,
  duration,
  list,
  nonNegativeInt,
  parse,
  percent,
  positiveInt,
  rate,
  ratio,
  str,
  type Parsed,
} from './args.js';
import { DEFAULTS, DEMO, expandSourceIps, parseTarget, type RunConfig } from '../run/config.js';
import { DEFAULT_BASELINE_METRICS } from '../judge/baseline.js';
import { executorOf, loadFromFlags, validateLoad } from '../load/registry.js';
import { FLAG_KEYS, problemText, type LoadConfig, type LoadFlags, type RunShape } from '../load/executor.js';
import { loadScenario, type ScenarioSettings } from '../scenario/load.js';
import { DEVICE_BACKOFF } from '../load/reconnect.js';
import { telemetryFromFlags, validateTraffic } from '../traffic/registry.js';
import type { StreamConfig, TrafficShape } from '../traffic/stream.js';
import { RUN_OPTIONS } from './run-options.js';
import { alpnProblem, ciphersProblem, groupsProblem, isSecure, servernameProblem } from '../mqtt/index.js';

function tlsVersion(p: Parsed, name: string): TlsVersion | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (v === '1.2' || v === 'TLSv1.2') return 'TLSv1.2';
  if (v === '1.3' || v === 'TLSv1.3') return 'TLSv1.3';
  throw new UsageError(`expected 1.2 or 1.3, got "${v}"`, `--${name}`);
}

/**
 * The TLS knobs: the flags over the scenario's. A flag's problem names the flag; the file's
 * were checked with their positions when it was loaded.
 */
function tlsOf(p: Parsed, base: ScenarioSettings): RunConfig['tls'] {
  const servername = str(p, 'servername');
  const sniProblem = servername === undefined ? undefined : servernameProblem(servername);
  if (sniProblem) throw new UsageError(sniProblem, '--servername');
  const alpnFlag = str(p, 'alpn');
  const alpn = alpnFlag === undefined ? undefined : alpnFlag.split(',').map((s) => s.trim());
  const alpnBad = alpn === undefined ? undefined : alpnProblem(alpn);
  if (alpnBad) throw new UsageError(alpnBad, '--alpn');
  const groups = str(p, 'tls-groups');
  const groupsBad = groups === undefined ? undefined : groupsProblem(groups);
  if (groupsBad) throw new UsageError(groupsBad, '--tls-groups');
  const ciphers = str(p, 'tls-ciphers');
  const ciphersBad = ciphers === undefined ? undefined : ciphersProblem(ciphers);
  if (ciphersBad) throw new UsageError(ciphersBad, '--tls-ciphers');
  const contexts = str(p, 'tls-contexts') ?? 'shared';
  if (!(TLS_CONTEXTS as readonly string[]).includes(contexts))
    throw new UsageError(`"${contexts}": expected shared or per-device`, '--tls-contexts');
  const minVersion = tlsVersion(p, 'tls-version') ?? base.minVersion;
  const maxVersion = tlsVersion(p, 'tls-max-version') ?? base.maxVersion;
  if (minVersion === 'TLSv1.3' && maxVersion === 'TLSv1.2')
    throw new UsageError('is below the minimum TLS version (1.3)', '--tls-max-version');
  return {
    contexts: contexts as TlsContexts,
    servername: servername ?? base.servername,
    minVersion,
    maxVersion,
    alpn: alpn ?? base.alpn,
    groups: groups ?? base.groups,
    ciphers: ciphers ?? base.ciphers,
  };
}

function targetsOf(p: Parsed, base: ScenarioSettings): string[] {
  const flag = str(p, 'target');
  const targets =
    flag === undefined
      ? (base.targets ?? [])
      : flag
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  for (const t of targets)
    if (!parseTarget(t))
      throw new UsageError(
        `expected mqtt://, mqtts://, ws:// or wss:// host:port (ws: and a path, default /mqtt), got "${t}"`,
        flag === undefined ? 'target' : '--target',
      );
  const faults = Object.keys(base.faults ?? {});
  const plain = targets.find((t) => !isSecure(parseTarget(t)!.transport));
  if (faults.length > 0 && plain !== undefined)
    throw new UsageError(
      `the scenario's certificate faults (${faults.join(', ')}) need TLS: ${plain} has no client certificate to reject; use mqtts:// or wss://`,
      flag === undefined ? 'target' : '--target',
    );
  return targets;
}

/**
 * The load: the flags over the scenario's executor, checked as a whole. A problem at a key a
 * flag set is that flag's; any other points into the scenario file.
 */
function loadOf(p: Parsed, demo: boolean, base: ScenarioSettings, run: RunShape): LoadConfig {
  const flags: LoadFlags = {
    rate: rate(p, 'rate') ?? (demo ? DEMO.rate : undefined),
    durationMs: duration(p, 'duration', undefined),
    connections: positiveInt(p, 'connections', undefined),
  };
  const load = loadFromFlags(str(p, 'executor'), flags, base.load, run);
  const problems = validateLoad(load, run);
  if (problems.length === 0) return load;
  const byFlag = problems.find((x) =>
    Object.entries(FLAG_KEYS).some(([k, f]) => flags[k as keyof LoadFlags] !== undefined && x.path[0] === f.key),
  );
  const fromFile = base.origin !== undefined && base.load !== undefined && base.load.executor === load.executor;
  if (byFlag !== undefined || !fromFile) {
    const x = byFlag ?? problems[0]!;
    const flag = Object.values(FLAG_KEYS).find((f) => f.key === x.path[0])?.flag ?? '--executor';
    throw new UsageError(x.message, flag);
  }
  const origin = base.origin!;
  throw new InputErrors(problems.map((x) => new InputError(origin.locate(['load', ...x.path]), problemText(x))));
}

function shardOf(p: Parsed): RunConfig['shard'] {
  const job = process.env.JOB_COMPLETION_INDEX;
  const count = positiveInt(p, 'shard-count', job !== undefined ? undefined : 1) ?? 1;
  const index = nonNegativeInt(p, 'shard-index', Number(job ?? 0))!;
  if (str(p, 'shard-index') === undefined && job !== undefined) {
    if (!/^\d+$/.test(job)) throw new UsageError(`JOB_COMPLETION_INDEX must be a shard index, got "${job}"`);
    if (str(p, 'shard-count') === undefined)
      throw new UsageError(
        'JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give --shard-count too',
        '--shard-count',
      );
  }
  if (index >= count) throw new UsageError(`must be below --shard-count (${count}), got ${index}`, '--shard-index');
  return { index, count };
}

/** The file's thresholds, then --threshold flags (a flag replaces the file's thresholds for its metric). */
function thresholdsOf(p: Parsed, base: ScenarioSettings): Record<string, string[]> {
  const thresholds: Record<string, string[]> = { ...(base.thresholds ?? {}) };
  const fromFlags: Record<string, string[]> = {};
  for (const t of (p.values.threshold as string[] | undefined) ?? []) {
    const i = t.indexOf(':');
    if (i <= 0)
      throw new UsageError(
        `expected METRIC:EXPRESSION like "connect_duration:p(99) < 500ms", got "${t}"`,
        '--threshold',
      );
    (fromFlags[t.slice(0, i).trim()] ??= []).push(t.slice(i + 1).trim());
  }
  return Object.assign(thresholds, fromFlags);
}

function mqttOf(p: Parsed, base: ScenarioSettings): RunConfig['mqtt'] {
  const text = str(p, 'mqtt');
  if (text !== undefined && !['3.1.1', '4', '5', '5.0'].includes(text))
    throw new UsageError(`expected 3.1.1 or 5, got "${text}"`, '--mqtt');
  const version: 4 | 5 = text === undefined ? (base.mqttVersion ?? 4) : text.startsWith('5') ? 5 : 4;
  const keepaliveMs = duration(p, 'keepalive', (base.keepaliveS ?? DEFAULTS.keepaliveS) * 1000);
  if (keepaliveMs % 1000 !== 0 || keepaliveMs > 65535_000)
    throw new UsageError('expected whole seconds up to 65535s', '--keepalive');
  const clean = base.clean ?? true;
  return {
    version,
    keepaliveS: keepaliveMs / 1000,
    subscribe: str(p, 'subscribe') ?? base.subscribe,
    clean,
    sessionExpiryS: base.sessionExpiryS ?? 3600,
  };
}

/**
 * The traffic: the scenario's streams, or the one telemetry stream the flags describe
 * (`--publish-every` and its companions), checked as a whole with the run's devices and
 * MQTT version.
 */
function trafficOf(p: Parsed, base: ScenarioSettings, run: TrafficShape): StreamConfig[] {
  const every = duration(p, 'publish-every', undefined);
  const companions = ['messages', 'qos', 'payload', 'topic'].filter((k) => str(p, k) !== undefined);
  if (every === undefined && companions.length > 0)
    throw new UsageError('goes with --publish-every (one telemetry stream from the flags)', `--${companions[0]}`);
  const qosText = str(p, 'qos');
  if (qosText !== undefined && !['0', '1', '2'].includes(qosText))
    throw new UsageError(`expected 0, 1 or 2, got "${qosText}"`, '--qos');
  const traffic =
    every === undefined
      ? (base.traffic ?? [])
      : [
          telemetryFromFlags({
            everyMs: every,
            messages: positiveInt(p, 'messages', undefined),
            qos: qosText === undefined ? undefined : (Number(qosText) as 0 | 1 | 2),
            payload: positiveInt(p, 'payload', undefined),
            topic: str(p, 'topic'),
          }),
        ];
  const problems = validateTraffic(traffic, run);
  if (problems.length === 0) return traffic;
  if (every !== undefined || base.origin === undefined) throw new UsageError(problems[0]!.message, '--publish-every');
  const origin = base.origin;
  throw new InputErrors(
    problems.map((x) => new InputError(origin.locate(['traffic', ...x.path]), problemText(x, 'traffic'))),
  );
}

function timeoutsOf(p: Parsed): RunConfig['timeouts'] {
  const all = duration(p, 'connect-timeout', DEFAULTS.timeouts.tcpMs);
  return {
    tcpMs: duration(p, 'tcp-timeout', all),
    tlsMs: duration(p, 'tls-timeout', all),
    wsMs: duration(p, 'ws-timeout', all),
    connackMs: duration(p, 'connack-timeout', all),
    subscribeMs: duration(p, 'subscribe-timeout', all),
  };
}

function keyOf(p: Parsed, base: ScenarioSettings): KeyType {
  const key = str(p, 'key') ?? base.key ?? 'p256';
  const unmintable = unmintableKey(key);
  if (unmintable) throw new UsageError(unmintable, '--key');
  return key as KeyType;
}

function sourceIpsOf(p: Parsed): string[] {
  const text = str(p, 'source-ips');
  const ips = text === undefined ? [] : expandSourceIps(text);
  if (!ips)
    throw new UsageError(`expected addresses like 127.0.0.2-127.0.0.9 or a comma list, got "${text}"`, '--source-ips');
  return ips;
}

/** Where results and metrics go. */
function outputsOf(p: Parsed): Pick<RunConfig, 'outDir' | 'metricsPort' | 'lingerMs' | 'push' | 'startAt'> {
  const metricsPort = nonNegativeInt(p, 'metrics-port', undefined);
  if (metricsPort !== undefined && metricsPort > 65535)
    throw new UsageError('expected a port 0-65535', '--metrics-port');
  const startAtText = str(p, 'start-at');
  const startAt = startAtText === undefined ? undefined : Date.parse(startAtText);
  if (startAt !== undefined && Number.isNaN(startAt))
    throw new UsageError(`expected an ISO 8601 time, got "${startAtText}"`, '--start-at');
  return {
    outDir: str(p, 'out'),
    metricsPort,
    lingerMs: duration(p, 'linger', DEFAULTS.lingerMs),
    push: str(p, 'push'),
    startAt,
  };
}

/**
 * Flags → config. A scenario file's settings (`base`) come first; a flag that is given
 * overrides them; defaults fill the rest. `demo` is true when `herd run` got no arguments.
 */
export function runConfigFromFlags(p: Parsed, demo: boolean, base: ScenarioSettings = {}): RunConfig {
  const devices = positiveInt(p, 'devices', base.devices ?? (demo ? DEMO.devices : DEFAULTS.devices))!;
  const inFlight = positiveInt(p, 'in-flight', base.inFlight ?? DEFAULTS.inFlight)!;
  const askedHold = duration(p, 'hold', base.holdMs ?? (demo ? DEMO.holdMs : DEFAULTS.holdMs));
  const load = loadOf(p, demo, base, { devices, inFlight, holdMs: askedHold });
  const holdMs = executorOf(load).holdsUntilEnd ? Infinity : askedHold;
  const mqtt = mqttOf(p, base);
  const reconnect = bool(p, 'reconnect') ? (base.reconnect ?? DEVICE_BACKOFF) : (base.reconnect ?? undefined);
  if (reconnect !== undefined && !executorOf(load).acceptsReconnect)
    throw new UsageError(`the ${load.executor} executor reconnects its own way (or not at all)`, '--reconnect');
  return {
    scenario: base.scenario ?? (demo ? 'demo' : 'cli'),
    targets: targetsOf(p, base),
    pkiDir: str(p, 'pki') ?? base.pkiDir,
    store: str(p, 'store') ?? base.store,
    serverCa: str(p, 'server-ca') ?? base.serverCa,
    devices,
    uriDomain: str(p, 'uri-domain') ?? base.uriDomain ?? DEFAULTS.uriDomain,
    idTemplate: str(p, 'id-template') ?? base.idTemplate ?? DEFAULTS.idTemplate,
    seed: str(p, 'seed') ?? base.seed,
    key: keyOf(p, base),
    load,
    inFlight,
    holdMs,
    reconnect,
    mqtt,
    traffic: trafficOf(p, base, { devices, mqttVersion: mqtt.version, holdMs }),
    tls: tlsOf(p, base),
    timeouts: timeoutsOf(p),
    workers: positiveInt(p, 'workers', Math.max(1, availableParallelism()))!,
    processes: positiveInt(p, 'processes', undefined),
    sourceIps: sourceIpsOf(p),
    ...outputsOf(p),
    shard: shardOf(p),
    baseline: str(p, 'baseline'),
    maxRegression: percent(p, 'max-regression', 0.1),
    baselineMetrics: list(p, 'baseline-metrics') ?? DEFAULT_BASELINE_METRICS,
    thresholds: thresholdsOf(p, base),
    defaultGates: !bool(p, 'no-default-gates'),
    faults: base.faults ?? {},
    resumeRatio: ratio(p, 'resume-ratio') ?? base.resumeRatio ?? 0,
    quiet: bool(p, 'quiet'),
  };
}

export function parseRunArgs(argv: string[]): { parsed: Parsed; demo: boolean } {
  return { parsed: parse(argv, RUN_OPTIONS, true), demo: argv.length === 0 };
}

/**
 * A run's config from the arguments `herd run` takes: an optional scenario file, then flags
 * (no arguments at all: the demo). Bad input throws a HerdError naming the flag or the file.
 */
export function runConfigFromArgs(argv: string[]): RunConfig {
  const { parsed, demo } = parseRunArgs(argv);
  if (parsed.positionals.length > 1)
    throw new UsageError(
      `expected one scenario file, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`,
    );
  const file = parsed.positionals[0];
  return runConfigFromFlags(parsed, demo, file === undefined ? {} : loadScenario(file));
}
