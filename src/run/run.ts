/**
 * `herd run` as a library call: resolve credentials (mint what is missing), start the
 * embedded broker when there is no target, check the plan fits this machine, run the
 * engine, and turn the aggregate into a Summary with thresholds and a verdict.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { TargetSpec } from '../engine/protocol.js';
import { InputError, PlanError, UsageError } from '../errors.js';
import { createCa, issueServer, loadCa, mintStore, openStore, type DeviceStore } from '../pki/index.js';
import { Aggregator } from '../metrics/aggregate.js';
import { parseThresholds } from '../judge/thresholds.js';
import { finalizeSummary, exitCodeFor } from '../judge/verdict.js';
import type { ExitCode } from '../errors.js';
import type { Summary } from '../model/summary.js';
import { readSummary } from '../report/json/index.js';
import { baselineThresholds, type BaselineRow } from '../judge/baseline.js';
import { Engine, type EnginePlan, type EngineState, type StormPlan } from '../engine/coordinator.js';
import { StormPolicy } from '../load/reconnect-storm.js';
import { checkCapacity, hostLimits, socketsPerProcess, type HostLimits } from '../engine/limits.js';
import { parseTarget, peakConnections, type RunConfig } from './config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../engine/embedded-broker.js';
import { scheduleFor } from '../load/registry.js';
import { assessGenerator } from '../engine/health.js';
import type { AggregateSnapshot } from '../metrics/aggregate.js';
import { startExporter, type HerdExporter } from '../metrics/exporter.js';
import { defaultShardSeed, shardConfig, shardRunId, shardSlice, type ShardSlice } from './shard.js';

export { shardSlice } from './shard.js';

export interface RunHooks {
  /** progress once a second */
  onProgress?(snap: AggregateSnapshot, state: EngineState): void;
  /** a line of what the run is doing (minting, broker started, …) */
  onInfo?(line: string): void;
  /** something went wrong that does not change the verdict (a failed --push); default: onInfo */
  onWarning?(line: string): void;
  /** the engine is about to start: keep it to interrupt() on Ctrl-C */
  onEngine?(engine: Engine): void;
  /** the embedded broker, when one was started */
  onBroker?(broker: EmbeddedBroker): void;
}

export interface RunOutcome {
  summary: Summary;
  exitCode: ExitCode;
  /** With --metrics-port: still serving the final values (for --linger). Close it when done. */
  exporter: HerdExporter | undefined;
  /** with --baseline: the earlier run and the metrics compared */
  baseline: { summary: Summary; rows: BaselineRow[] } | undefined;
}

interface Credentials {
  store: DeviceStore;
  storePath: string;
  serverCaPem: string;
  caDir: string | undefined;
  mint: Summary['mint'];
  /** store index of this shard's first device */
  deviceStart: number;
}

async function credentials(
  c: RunConfig,
  slice: ShardSlice,
  work: string,
  info: (l: string) => void,
  exporter: HerdExporter | undefined,
): Promise<Credentials> {
  const serverCaFile = c.serverCa;
  const serverCa = (fallback: string): string => {
    if (serverCaFile === undefined) return fallback;
    try {
      return readFileSync(serverCaFile, 'utf8');
    } catch (e) {
      throw new InputError({ file: serverCaFile }, `cannot read the server CA: ${(e as Error).message}`);
    }
  };
  if (c.store !== undefined) {
    const store = openStore(c.store);
    const { start, count } = store.meta;
    if (slice.total > count)
      throw new UsageError(
        `${slice.total} devices asked, but ${c.store} holds ${count} (devices ${start}..${start + count - 1})`,
        '--devices',
      );
    // a sharded run's devices are the store's first `total`; this shard runs its slice of them
    return {
      store,
      storePath: c.store,
      serverCaPem: serverCa(store.caCertPem),
      caDir: c.pkiDir,
      mint: { count: 0, per_second: 0, loaded: c.devices },
      deviceStart: start + slice.start,
    };
  }
  let caDir = c.pkiDir;
  if (caDir === undefined) {
    if (c.targets.length > 0)
      throw new UsageError(
        'a run against a broker needs the CA it trusts for devices: give --pki DIR (ca.crt + ca.key) or --store',
        '--pki',
      );
    caDir = join(work, 'pki');
    await createCa({ out: caDir, cn: 'mqtt-herd run CA' });
  }
  const ca = loadCa(caDir);
  const storePath = join(work, 'devices.store');
  // Shards mint only their slice, and must agree on the seed to get the same bytes.
  let seed = c.seed;
  if (seed === undefined && c.shard.count > 1) {
    seed = defaultShardSeed(ca.cert.raw);
    info(`no --seed: every shard derives the seed from the CA certificate (${seed}); give --seed to choose another`);
  }
  info(`minting ${c.devices} device certificates (${c.key}) from ${caDir}`);
  const threads = Math.max(1, Math.min(c.workers, availableParallelism()));
  const stats = await mintStore({
    caDir,
    ca,
    out: storePath,
    count: slice.count,
    start: slice.start,
    idTemplate: c.idTemplate,
    uriDomain: c.uriDomain,
    key: c.key,
    threads,
    // faulty devices, deterministically chosen; revoked ones go into <CA dir>/crl.pem
    ...(Object.keys(c.faults).length > 0 ? { faults: c.faults } : {}),
    ...(seed === undefined ? {} : { seed }),
    ...(exporter === undefined ? {} : { onProgress: exporter.mintProgress(threads) }),
  });
  return {
    store: openStore(storePath),
    storePath,
    serverCaPem: serverCa(ca.certPem),
    caDir,
    mint: { count: stats.count, per_second: stats.perSecond, loaded: 0 },
    deviceStart: slice.start,
  };
}

/**
 * Generator processes: as many as the peak needs under the open-files limit (one process
 * holds at most ~19,900 sockets here), or --processes. The embedded broker is one process,
 * so it serves at most one process's worth of connections.
 */
function planProcesses(c: RunConfig, limits: HostLimits): number {
  const peak = peakConnections(c);
  const perProcess = socketsPerProcess(limits);
  const needed = Math.max(1, Math.ceil(peak / perProcess));
  if (c.targets.length === 0 && peak > perProcess) {
    throw new PlanError(
      `the embedded broker is one process and can hold ${perProcess} connections under its open-files limit (${limits.fdLimit}); ` +
        `the plan holds up to ${peak}: use an external broker (several, e.g. mosquitto instances, with --target a,b,...) or lower --devices / --hold`,
    );
  }
  if (c.processes !== undefined && c.processes < needed) {
    throw new PlanError(
      `${peak} connections at the peak need at least ${needed} generator processes (${perProcess} sockets each), --processes says ${c.processes}`,
    );
  }
  return c.processes ?? needed;
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** The reconnect-storm's policy and how it drops the connections. */
function stormPlan(c: RunConfig, broker: EmbeddedBroker | undefined): StormPlan | undefined {
  if (c.load.executor !== 'reconnect-storm') return undefined;
  const cfg = c.load.storm;
  return {
    policy: new StormPolicy(cfg, c.load.connections),
    // an external broker is restarted by whoever runs it; herd sees the drops
    trigger: cfg.drop === 'broker-restart' && broker !== undefined ? () => broker.restart(cfg.downMs) : undefined,
    cut: cfg.drop === 'disconnect',
    deadlineMs: cfg.downMs + 6 * cfg.maxBackoffMs + 10_000,
  };
}

export async function runHerd(whole: RunConfig, hooks: RunHooks = {}): Promise<RunOutcome> {
  const info = hooks.onInfo ?? (() => undefined);
  // a shard runs its slice of the devices at its share of the load (the whole run: c = whole)
  const slice = shardSlice(whole);
  const c = shardConfig(whole);
  const parsedThresholds = parseThresholds(c.thresholds);
  if (parsedThresholds.errors.length)
    throw new UsageError(parsedThresholds.errors.map((e) => e.message).join('; '), '--threshold');
  // --baseline: the earlier run's values become gates (read before anything starts: a bad file is exit 2)
  const baseline = c.baseline === undefined ? undefined : await readSummary(c.baseline);
  const regression =
    baseline === undefined ? undefined : baselineThresholds(baseline, c.baselineMetrics, c.maxRegression);
  const limits = hostLimits();
  const targets: TargetSpec[] = c.targets.map((t) => parseTarget(t)!);
  const processes = planProcesses(c, limits);
  checkCapacity(
    {
      peakConnections: peakConnections(c),
      sourceTargetPairs: Math.max(1, c.sourceIps.length) * Math.max(1, targets.length),
      processes,
    },
    limits,
  );

  // The exporter starts first, so Prometheus sees the minting too.
  const runId = c.shard.count > 1 ? shardRunId(whole) : randomUUID();
  const exporter = await startExporter(c, { runId, scenario: c.scenario, shard: c.shard.index });
  if (exporter?.url !== undefined) info(`metrics on ${exporter.url}`);
  const work = mkdtempSync(join(tmpdir(), 'herd-run-'));
  // the work dir holds the run's private keys: gone even when the process exits mid-way (Ctrl-C)
  const removeWork = (): void => rmSync(work, { recursive: true, force: true });
  process.once('exit', removeWork);
  let broker: EmbeddedBroker | undefined;
  let handedOver = false;
  try {
    await resolveTargets(targets);
    if (c.shard.count > 1)
      info(
        `shard ${c.shard.index + 1}/${c.shard.count}: devices ${slice.start}..${slice.start + slice.count - 1} of ${slice.total}, at ${slice.count}/${slice.total} of the load (run ${runId})`,
      );
    const creds = await credentials(c, slice, work, info, exporter);
    let servername = c.tls.servername;
    if (targets.length === 0) {
      const caDir = creds.caDir!;
      const serverDir = join(work, 'server');
      await issueServer({ ca: caDir, out: serverDir, dns: ['localhost'], ip: ['127.0.0.1'], cn: 'localhost' });
      const ca = loadCa(caDir);
      // revoked devices (herd pki mint --faults, or the run's own faults) are in the CA's crl.pem
      const crlFile = join(caDir, 'crl.pem');
      const crlPem = readIfExists(crlFile);
      try {
        broker = await startEmbeddedBroker({
          caPem: ca.certPem,
          certPem: readFileSync(join(serverDir, 'server.crt'), 'utf8'),
          keyPem: readFileSync(join(serverDir, 'server.key'), 'utf8'),
          identity: 'cn',
          crlPem,
          minVersion: c.tls.minVersion,
          maxVersion: c.tls.maxVersion,
        });
      } catch (e) {
        // what it was given came from the CA directory: a CRL it cannot parse is bad input
        throw new InputError(
          { file: crlPem === undefined ? caDir : crlFile },
          `the embedded broker cannot start with it: ${(e as Error).message.replace(/^embedded broker: /, '')}`,
        );
      }
      hooks.onBroker?.(broker);
      targets.push({ host: broker.host, port: broker.port });
      servername ??= 'localhost';
      info(`embedded broker listening on mqtts://${broker.host}:${broker.port}`);
    }

    // every generator process runs at least one worker thread
    const workers = Math.max(processes, Math.min(c.workers, c.devices));
    if (processes > 1)
      info(
        `${processes} generator processes, ${workers} connection workers (${peakConnections(c)} connections at the peak)`,
      );
    const plan: EnginePlan = {
      workers,
      processes,
      schedule: scheduleFor(c),
      replaceDrops: c.load.executor === 'constant-connections',
      endAfterMs: c.load.executor === 'constant-connections' ? c.load.durationMs : undefined,
      startAt: c.startAt,
      worker: {
        storePath: creds.storePath,
        deviceCount: c.devices,
        deviceStart: creds.deviceStart,
        targets,
        serverCaPem: creds.serverCaPem,
        servername,
        minVersion: c.tls.minVersion,
        maxVersion: c.tls.maxVersion,
        mqttVersion: c.mqtt.version,
        keepaliveS: c.mqtt.keepaliveS,
        subscribe: c.mqtt.subscribe,
        timeouts: c.timeouts,
        inFlightCap: c.inFlight, // the coordinator splits it over the workers
        holdMs: c.holdMs,
        sourceIps: c.sourceIps,
        reportMs: 250,
        reportOutcomes: c.load.executor === 'reconnect-storm' || c.load.executor === 'constant-connections',
        resumeRatio: c.resumeRatio,
        reuseDevices: c.load.executor !== 'arrival-rate' && c.load.executor !== 'ramping-arrival-rate',
      },
      storm: stormPlan(c, broker),
    };
    // shards wait for a common --start-at: the run (and its time series) starts there
    const started = new Date(Math.max(Date.now(), c.startAt ?? 0));
    if (c.startAt !== undefined) {
      const wait = c.startAt - Date.now();
      if (wait > 0) info(`waiting for --start-at ${new Date(c.startAt).toISOString()} (${(wait / 1000).toFixed(1)}s)`);
      else
        (hooks.onWarning ?? info)(
          `--start-at ${new Date(c.startAt).toISOString()} passed ${(-wait / 1000).toFixed(1)}s ago: starting now, out of step with the other shards`,
        );
    }
    const agg = new Aggregator({ startedAt: started.getTime() });
    exporter?.attach(agg);
    const engine = new Engine(plan, {
      onReport: (r) => {
        agg.ingest(r.delta, r.workerId);
        exporter?.workerLag(r.workerId, r.lagP99Ms);
      },
      onTick: (s) => hooks.onProgress?.(agg.snapshot(), s),
    });
    hooks.onEngine?.(engine);
    const res = await engine.run();
    const ended = new Date();
    const counts = agg.counts();
    const generator = assessGenerator({
      res,
      counts,
      failures: agg.failures(),
      limits,
      workers,
      closedLoop: c.load.executor === 'closed-loop',
    });
    const summary = finalizeSummary(
      {
        version: 1,
        run: {
          id: runId,
          scenario: c.scenario,
          target: c.targets.length ? c.targets.join(',') : `embedded mqtts://${targets[0]!.host}:${targets[0]!.port}`,
          started: started.toISOString(),
          ended: ended.toISOString(),
          shard: { ...c.shard, first: creds.deviceStart, last: creds.deviceStart + c.devices - 1 },
          mqtt: c.mqtt.version === 5 ? '5' : '3.1.1',
          devices: c.devices,
          executor: c.load.executor,
          key: c.key,
          tls: { min_version: c.tls.minVersion ?? null, max_version: c.tls.maxVersion ?? null },
          ...(res.interrupted ? { interrupted: true } : {}),
        },
        counts,
        failures: agg.failures(),
        security: agg.security(),
        latency: agg.latency(),
        mint: creds.mint,
        generator,
        series: agg.series(),
        ...(res.recovery === undefined ? {} : { recovery: res.recovery }),
        ...(agg.resumption() === undefined ? {} : { resumption: agg.resumption()! }),
      },
      [...parsedThresholds.thresholds, ...(regression?.thresholds ?? [])],
    );
    if (res.interrupted && (summary.verdict === 'pass' || summary.verdict === 'fail')) {
      // a run stopped early did not carry out its plan: its numbers decide nothing (insecure still stands)
      summary.verdict = 'inconclusive';
      summary.verdict_reason = `interrupted after ${summary.counts.attempted} attempts (the plan had ${res.dispatched} scheduled so far); ${summary.verdict_reason}`;
    }
    creds.store.close();
    if (c.push !== undefined) {
      try {
        await exporter?.push(c.push);
        info(`pushed the final metrics to ${c.push}`);
      } catch (e) {
        (hooks.onWarning ?? info)(`could not push the metrics to ${c.push}: ${(e as Error).message}`);
      }
    }
    handedOver = true;
    return {
      summary,
      exitCode: exitCodeFor(summary.verdict),
      exporter: c.metricsPort === undefined ? undefined : exporter,
      baseline: baseline === undefined ? undefined : { summary: baseline, rows: regression!.rows },
    };
  } finally {
    if (!handedOver || c.metricsPort === undefined) await exporter?.close();
    await broker?.close();
    process.removeListener('exit', removeWork);
    removeWork();
  }
}

/**
 * Resolves host names once, before the run: a lookup per attempt would run on libuv's
 * small thread pool and land in the tcp phase. The name stays the TLS server name.
 */
async function resolveTargets(targets: TargetSpec[]): Promise<void> {
  for (const t of targets) {
    if (isIP(t.host) !== 0) continue;
    try {
      const { address } = await lookup(t.host);
      t.servername ??= t.host;
      t.host = address;
    } catch (e) {
      throw new UsageError(
        `cannot resolve "${t.host}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        '--target',
      );
    }
  }
}
