/** `herd run` flags → RunConfig. Every bad flag is a usage error naming the flag (exit 2). */
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';
import { parse, str, bool, list, positiveInt, nonNegativeInt, type OptionSpec, type Parsed } from './args.js';
import {
  DEFAULTS,
  DEMO,
  expandSourceIps,
  parseTarget,
  type RunConfig,
  type TlsVersion,
  type KeyType,
} from '../run/config.js';
import { parseDurationMs, parseRatePerSecond } from '../model/units.js';
import { DEFAULT_BASELINE_METRICS } from '../judge/baseline.js';
import type { ScenarioSettings } from '../scenario/load.js';

export const RUN_OPTIONS: OptionSpec = {
  target: { type: 'string' },
  pki: { type: 'string' },
  store: { type: 'string' },
  'server-ca': { type: 'string' },
  servername: { type: 'string' },
  devices: { type: 'string' },
  'uri-domain': { type: 'string' },
  'id-template': { type: 'string' },
  seed: { type: 'string' },
  key: { type: 'string' },
  rate: { type: 'string' },
  'in-flight': { type: 'string' },
  duration: { type: 'string' },
  hold: { type: 'string' },
  executor: { type: 'string' },
  connections: { type: 'string' },
  mqtt: { type: 'string' },
  keepalive: { type: 'string' },
  subscribe: { type: 'string' },
  'tls-version': { type: 'string' },
  'tls-max-version': { type: 'string' },
  'resume-ratio': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'tcp-timeout': { type: 'string' },
  'tls-timeout': { type: 'string' },
  'connack-timeout': { type: 'string' },
  'subscribe-timeout': { type: 'string' },
  workers: { type: 'string' },
  processes: { type: 'string' },
  'source-ips': { type: 'string' },
  out: { type: 'string' },
  'metrics-port': { type: 'string' },
  linger: { type: 'string' },
  push: { type: 'string' },
  'shard-index': { type: 'string' },
  'shard-count': { type: 'string' },
  'start-at': { type: 'string' },
  baseline: { type: 'string' },
  'max-regression': { type: 'string' },
  'baseline-metrics': { type: 'string' },
  threshold: { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

export const RUN_HELP = `herd run [SCENARIO.yaml] [flags]      (no arguments at all: the demo)

  --target URL[,URL...]     mqtts://host:port of the broker(s); none: start the embedded broker
  --pki DIR                 CA (ca.crt + ca.key) to mint devices from; trusted for the server
  --store STORE             devices minted ahead of time (herd pki mint)
  --server-ca FILE          CA to trust for the server certificate (default: the run's CA)
  --servername NAME         TLS SNI / name to verify (default: the target host)
  --devices N               devices (default ${DEFAULTS.devices})
  --rate N/s|max            connects per second, open loop (default ${DEFAULTS.rate}/s); max: closed loop
  --in-flight N             cap on connects between start and CONNACK (default ${DEFAULTS.inFlight})
  --duration 30s            stop scheduling after this long
  --hold 30s                keep each connection up this long after CONNACK (default 10s; 0s: disconnect at once)
  --executor NAME           arrival-rate (default) | constant-connections
  --connections N           constant-connections: how many to keep up
  --mqtt 3.1.1|5            protocol version (default 3.1.1)
  --keepalive 60s           MQTT keepalive
  --subscribe TOPIC         subscribe after CONNACK ({id} is the device id)
  --tls-version 1.2|1.3     minimum TLS version; --tls-max-version likewise
  --resume-ratio 0.5        share of reconnects that resume their TLS session (reported apart)
  --connect-timeout 10s     timeout of each phase (tcp, tls, connack, subscribe); or one by one:
  --tcp-timeout, --tls-timeout, --connack-timeout, --subscribe-timeout
  --workers N               connection worker threads (default: one per core)
  --processes N             generator processes (default: as many as the open-files limit requires)
  --source-ips A-B[,C]      local addresses to spread connections over
  --out DIR                 write summary.json and junit.xml there
  --threshold 'connect_duration:p(99) < 500ms'   a threshold (repeatable)
  --baseline SUMMARY.json   fail (exit 99) when a metric regressed beyond --max-regression (default 10%)
  --baseline-metrics LIST   default connect_duration:p(50),connect_duration:p(99),connect_failures:rate
  --metrics-port P          serve Prometheus metrics on :P/metrics (0: any free port)
  --linger 15s              keep serving the final metrics this long after the run
  --push URL                push the final metrics to a Pushgateway
  --shard-index I --shard-count N   run slice I of N (default: JOB_COMPLETION_INDEX)
  --start-at TIME           shards start together at this ISO 8601 time
`;

function duration(p: Parsed, name: string, dflt: number): number;
function duration(p: Parsed, name: string, dflt: undefined): number | undefined;
function duration(p: Parsed, name: string, dflt: number | undefined): number | undefined {
  const v = str(p, name);
  if (v === undefined) return dflt;
  try {
    return parseDurationMs(v);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), `--${name}`);
  }
}

function ratioFlag(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(v))
    throw new UsageError(`expected a ratio from 0 to 1 like 0.5, got "${v}"`, `--${name}`);
  return Number(v);
}

/** A share that may exceed 100% (a regression allowance of 200% is a 3× slowdown). */
function percentFlag(p: Parsed, name: string, dflt: number): number {
  const v = str(p, name);
  if (v === undefined) return dflt;
  if (!/^\d+(\.\d+)?%$/.test(v))
    throw new UsageError(`expected a percentage like 10% or 2.5%, got "${v}"`, `--${name}`);
  return Number(v.slice(0, -1)) / 100;
}

function tlsVersion(p: Parsed, name: string): TlsVersion | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (v === '1.2' || v === 'TLSv1.2') return 'TLSv1.2';
  if (v === '1.3' || v === 'TLSv1.3') return 'TLSv1.3';
  throw new UsageError(`expected 1.2 or 1.3, got "${v}"`, `--${name}`);
}

/**
 * Flags → config. A scenario file's settings (`base`) come first; a flag that is given
 * overrides them; defaults fill the rest. `demo` is true when `herd run` got no arguments.
 */
export function runConfigFromFlags(p: Parsed, demo: boolean, base: ScenarioSettings = {}): RunConfig {
  const targetFlag = str(p, 'target');
  const targets =
    targetFlag === undefined
      ? (base.targets ?? [])
      : targetFlag
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  for (const t of targets)
    if (!parseTarget(t))
      throw new UsageError(`expected mqtts://host:port, got "${t}"`, targetFlag === undefined ? 'target' : '--target');
  const rateText = str(p, 'rate');
  let rate: number | 'max' | undefined;
  if (rateText === 'max') rate = 'max';
  else if (rateText !== undefined) {
    try {
      rate = parseRatePerSecond(rateText);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e), '--rate');
    }
  }
  const devices = positiveInt(p, 'devices', base.devices ?? (demo ? DEMO.devices : DEFAULTS.devices))!;
  const durationMs = duration(p, 'duration', undefined);
  const executor = str(p, 'executor');
  let holdMs = duration(p, 'hold', base.holdMs ?? (demo ? DEMO.holdMs : DEFAULTS.holdMs));
  let load = base.load;
  if (executor !== undefined || load === undefined) {
    // the flags describe the load (on their own, or replacing the file's executor)
    const r = rate ?? (demo ? DEMO.rate : DEFAULTS.rate);
    if (executor === 'constant-connections') {
      if (r === 'max') throw new UsageError('constant-connections needs a ramp-up rate in N/s', '--rate');
      if (durationMs === undefined) throw new UsageError('constant-connections needs --duration', '--duration');
      load = {
        executor: 'constant-connections',
        connections: positiveInt(p, 'connections', devices)!,
        rate: r,
        durationMs,
      };
    } else if (executor === undefined || executor === 'arrival-rate') {
      load = r === 'max' ? { executor: 'closed-loop', durationMs } : { executor: 'arrival-rate', rate: r, durationMs };
    } else {
      throw new UsageError(
        `expected arrival-rate or constant-connections, got "${executor}" (ramps and storms: use a scenario file)`,
        '--executor',
      );
    }
  } else {
    // the file's executor, with the flags that apply to it overriding its values
    if (rate === 'max' && load.executor !== 'arrival-rate' && load.executor !== 'closed-loop') {
      throw new UsageError(
        `max (the closed loop) does not apply to the scenario's ${load.executor} executor`,
        '--rate',
      );
    }
    if (rate === 'max')
      load = {
        executor: 'closed-loop',
        durationMs: durationMs ?? ('durationMs' in load ? load.durationMs : undefined),
      };
    else if (
      rate !== undefined &&
      (load.executor === 'arrival-rate' ||
        load.executor === 'constant-connections' ||
        load.executor === 'reconnect-storm')
    )
      load = { ...load, rate };
    else if (rate !== undefined)
      throw new UsageError(`does not apply to the scenario's ${load.executor} executor`, '--rate');
    if (durationMs !== undefined) {
      if (
        load.executor === 'arrival-rate' ||
        load.executor === 'closed-loop' ||
        load.executor === 'constant-connections' ||
        load.executor === 'ramping-arrival-rate'
      )
        load = { ...load, durationMs };
      else throw new UsageError(`does not apply to the scenario's ${load.executor} executor`, '--duration');
    }
    const connections = positiveInt(p, 'connections', undefined);
    if (connections !== undefined && (load.executor === 'constant-connections' || load.executor === 'reconnect-storm'))
      load = { ...load, connections };
  }
  if (load.executor === 'constant-connections' || load.executor === 'reconnect-storm') {
    if (load.connections === 0) load = { ...load, connections: devices };
    if (load.connections > devices)
      throw new UsageError(
        `${load.connections} connections need at least as many devices (${devices})`,
        '--connections',
      );
    holdMs = Infinity;
  }
  const mqttText = str(p, 'mqtt');
  if (mqttText !== undefined && !['3.1.1', '4', '5', '5.0'].includes(mqttText))
    throw new UsageError(`expected 3.1.1 or 5, got "${mqttText}"`, '--mqtt');
  const mqttVersion: 4 | 5 = mqttText === undefined ? (base.mqttVersion ?? 4) : mqttText.startsWith('5') ? 5 : 4;
  const key = str(p, 'key') ?? base.key ?? 'p256';
  if (!['p256', 'p384', 'ed25519'].includes(key))
    throw new UsageError(`expected p256, p384 or ed25519, got "${key}"`, '--key');
  const sourceIpsText = str(p, 'source-ips');
  const sourceIps = sourceIpsText === undefined ? [] : expandSourceIps(sourceIpsText);
  if (!sourceIps)
    throw new UsageError(
      `expected addresses like 127.0.0.2-127.0.0.9 or a comma list, got "${sourceIpsText}"`,
      '--source-ips',
    );
  const shardCountDefault = process.env.JOB_COMPLETION_INDEX !== undefined ? undefined : 1;
  const shardCount = positiveInt(p, 'shard-count', shardCountDefault) ?? 1;
  const shardIndex = nonNegativeInt(p, 'shard-index', Number(process.env.JOB_COMPLETION_INDEX ?? 0))!;
  if (str(p, 'shard-index') === undefined && process.env.JOB_COMPLETION_INDEX !== undefined) {
    if (!/^\d+$/.test(process.env.JOB_COMPLETION_INDEX))
      throw new UsageError(`JOB_COMPLETION_INDEX must be a shard index, got "${process.env.JOB_COMPLETION_INDEX}"`);
    if (str(p, 'shard-count') === undefined)
      throw new UsageError(
        'JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give --shard-count too',
        '--shard-count',
      );
  }
  if (shardIndex >= shardCount)
    throw new UsageError(`must be below --shard-count (${shardCount}), got ${shardIndex}`, '--shard-index');
  const startAtText = str(p, 'start-at');
  const startAt = startAtText === undefined ? undefined : Date.parse(startAtText);
  if (startAt !== undefined && Number.isNaN(startAt))
    throw new UsageError(`expected an ISO 8601 time, got "${startAtText}"`, '--start-at');
  const connectTimeout = duration(p, 'connect-timeout', DEFAULTS.timeouts.tcpMs);
  const keepaliveMs = duration(p, 'keepalive', (base.keepaliveS ?? DEFAULTS.keepaliveS) * 1000);
  if (keepaliveMs % 1000 !== 0 || keepaliveMs > 65535_000)
    throw new UsageError('expected whole seconds up to 65535s', '--keepalive');
  const metricsPort = nonNegativeInt(p, 'metrics-port', undefined);
  if (metricsPort !== undefined && metricsPort > 65535)
    throw new UsageError('expected a port 0-65535', '--metrics-port');
  const thresholds: Record<string, string[]> = { ...(base.thresholds ?? {}) };
  const flagThresholds: Record<string, string[]> = {};
  for (const t of (p.values.threshold as string[] | undefined) ?? []) {
    const i = t.indexOf(':');
    if (i <= 0)
      throw new UsageError(
        `expected METRIC:EXPRESSION like "connect_duration:p(99) < 500ms", got "${t}"`,
        '--threshold',
      );
    (flagThresholds[t.slice(0, i).trim()] ??= []).push(t.slice(i + 1).trim());
  }
  Object.assign(thresholds, flagThresholds); // a flag replaces the file's thresholds for that metric
  return {
    scenario: base.scenario ?? (demo ? 'demo' : 'cli'),
    targets,
    pkiDir: str(p, 'pki') ?? base.pkiDir,
    store: str(p, 'store') ?? base.store,
    serverCa: str(p, 'server-ca') ?? base.serverCa,
    devices,
    uriDomain: str(p, 'uri-domain') ?? base.uriDomain ?? DEFAULTS.uriDomain,
    idTemplate: str(p, 'id-template') ?? base.idTemplate ?? DEFAULTS.idTemplate,
    seed: str(p, 'seed') ?? base.seed,
    key: key as KeyType,
    load,
    inFlight: positiveInt(p, 'in-flight', base.inFlight ?? DEFAULTS.inFlight)!,
    holdMs,
    mqtt: { version: mqttVersion, keepaliveS: keepaliveMs / 1000, subscribe: str(p, 'subscribe') ?? base.subscribe },
    tls: {
      servername: str(p, 'servername') ?? base.servername,
      minVersion: tlsVersion(p, 'tls-version') ?? base.minVersion,
      maxVersion: tlsVersion(p, 'tls-max-version') ?? base.maxVersion,
    },
    timeouts: {
      tcpMs: duration(p, 'tcp-timeout', connectTimeout),
      tlsMs: duration(p, 'tls-timeout', connectTimeout),
      connackMs: duration(p, 'connack-timeout', connectTimeout),
      subscribeMs: duration(p, 'subscribe-timeout', connectTimeout),
    },
    workers: positiveInt(p, 'workers', Math.max(1, availableParallelism()))!,
    processes: positiveInt(p, 'processes', undefined),
    sourceIps,
    outDir: str(p, 'out'),
    metricsPort,
    lingerMs: duration(p, 'linger', DEFAULTS.lingerMs),
    push: str(p, 'push'),
    shard: { index: shardIndex, count: shardCount },
    startAt,
    baseline: str(p, 'baseline'),
    maxRegression: percentFlag(p, 'max-regression', 0.1),
    baselineMetrics: list(p, 'baseline-metrics') ?? DEFAULT_BASELINE_METRICS,
    thresholds,
    faults: base.faults ?? {},
    resumeRatio: ratioFlag(p, 'resume-ratio') ?? base.resumeRatio ?? 0,
    quiet: bool(p, 'quiet'),
  };
}

export function parseRunArgs(argv: string[]): { parsed: Parsed; demo: boolean } {
  return { parsed: parse(argv, RUN_OPTIONS, true), demo: argv.length === 0 };
}
