/**
 * Stage 1, check: everything the user gave that the flags could not check on their own —
 * thresholds, the baseline file, the server CA file, the targets (resolved once) — before
 * any stage does work. A problem here is exit 2 and nothing has started.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { UsageError } from '../errors.js';
import { readServerCaPem } from '../pki/index.js';
import type { Summary } from '../model/summary.js';
import { parseThresholds, type Threshold } from '../judge/thresholds.js';
import { defaultGates } from '../judge/gates.js';
import { executorOf } from '../load/registry.js';
import { streamPlans } from '../traffic/registry.js';
import { baselineThresholds, type BaselineRow } from '../judge/baseline.js';
import type { TargetSpec } from '../engine/protocol.js';
import { readSummary } from '../report/json/index.js';
import { parseTarget, type RunConfig } from './config.js';
import { shardConfig, shardSlice, type ShardSlice } from './shard.js';

export interface CheckedRun {
  /** the run as configured (all shards) */
  whole: RunConfig;
  /** what this shard runs: its slice of the devices at its share of the load (one shard: `whole`) */
  config: RunConfig;
  slice: ShardSlice;
  /** the scenario's and the flags' thresholds, and the baseline's regression gates */
  thresholds: Threshold[];
  /** with --baseline: the earlier run and the metrics compared */
  baseline: { summary: Summary; rows: BaselineRow[] } | undefined;
  /** the brokers to load, host names resolved; empty: the embedded broker */
  targets: TargetSpec[];
  /** --server-ca, read; undefined: trust the devices' CA */
  serverCaPem: string | undefined;
}

export async function checkRun(whole: RunConfig): Promise<CheckedRun> {
  const slice = shardSlice(whole);
  const config = shardConfig(whole);
  const parsed = parseThresholds(config.thresholds);
  if (parsed.errors.length) throw new UsageError(parsed.errors.map((e) => e.message).join('; '), '--threshold');
  // --baseline: the earlier run's values become gates (a bad file is exit 2)
  const summary = config.baseline === undefined ? undefined : await readSummary(config.baseline);
  const regression =
    summary === undefined ? undefined : baselineThresholds(summary, config.baselineMetrics, config.maxRegression);
  if (config.outDir !== undefined) checkOutDir(config.outDir);
  const targets: TargetSpec[] = config.targets.map((t) => {
    const a = parseTarget(t)!;
    return { host: a.host, port: a.port, transport: a.transport, path: a.path };
  });
  await resolveTargets(targets);
  return {
    whole,
    config,
    slice,
    // the user's, the baseline's, then the default gates they leave in place
    thresholds: [
      ...parsed.thresholds,
      ...(regression?.thresholds ?? []),
      ...defaultGates(config.thresholds, {
        defaults: config.defaultGates,
        executor: executorOf(config.load).gates?.(config.load),
        deliveries: streamPlans(config.traffic).some((p) => p.receivers > 0),
      }),
    ],
    baseline: summary === undefined ? undefined : { summary, rows: regression!.rows },
    targets,
    serverCaPem: config.serverCa === undefined ? undefined : readServerCaPem(config.serverCa),
  };
}

/**
 * --out must be a directory this process can write in (made now when missing): found out
 * before the run, not after it, so its results are never lost to a bad path.
 */
function checkOutDir(dir: string): void {
  const why = (e: unknown): string => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      return 'a file is in the way (it must be a directory, or a path under one)';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'EROFS') return 'the file system is read-only';
    return code ?? String(e);
  };
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'EEXIST' });
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${dir}: cannot write the results there: ${why(e)}`, '--out');
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
