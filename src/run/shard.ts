/**
 * Shards: `--shard-index I --shard-count N` runs a deterministic, contiguous slice of a
 * run's devices. The scenario describes the whole run (its device count, connections and
 * connect rates); each shard takes its share of each, so N shards side by side offer the
 * load of the scenario, and their summaries merge into the summary of that run.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { RunConfig } from './config.js';
import { executorOf } from '../load/registry.js';
import type { ShardShare } from '../load/executor.js';

export interface ShardSlice {
  /** first device of this shard, counted from the run's first device */
  start: number;
  /** devices in this shard */
  count: number;
  /** devices in the whole run */
  total: number;
}

/** Shard `index` of `count` over `total` items: [floor(i·T/N), floor((i+1)·T/N)). */
function part(total: number, index: number, count: number): { start: number; count: number } {
  const from = Math.floor((total * index) / count);
  const to = Math.floor((total * (index + 1)) / count);
  return { start: from, count: to - from };
}

/**
 * This shard's slice of the run's devices (all of them for one shard). Slices are
 * contiguous, in shard order, differ in size by at most one device, and together cover
 * every device exactly once.
 */
export function shardSlice(c: Pick<RunConfig, 'devices' | 'shard'>): ShardSlice {
  const { index, count } = c.shard;
  if (count > c.devices)
    throw new UsageError(`${count} shards need at least as many devices (the run has ${c.devices})`, '--shard-count');
  return { ...part(c.devices, index, count), total: c.devices };
}

/**
 * The configuration one shard runs: its devices, and its share of the connections and of
 * every connect rate. `--in-flight` stays per shard (it caps one generator's connects).
 * One shard: the config itself.
 */
export function shardConfig(c: RunConfig): RunConfig {
  if (c.shard.count <= 1) return c;
  const slice = shardSlice(c);
  const share: ShardShare = {
    index: c.shard.index,
    count: c.shard.count,
    fraction: slice.count / slice.total,
    part: (n) => part(n, c.shard.index, c.shard.count).count,
  };
  return { ...c, devices: slice.count, load: executorOf(c.load).shard(c.load, share) };
}

/**
 * The seed of a sharded run given no --seed: every shard must mint the same keys for the
 * same devices, so it is derived from what they share, the CA certificate (its SHA-256).
 */
export function defaultShardSeed(caCertDer: Buffer): string {
  return `ca-sha256:${createHash('sha256').update(caCertDer).digest('hex').slice(0, 32)}`;
}

/**
 * The run id every shard of one run computes alike (UUID-shaped), so the shards' metrics
 * (`herd_run_info{run_id}`) and summaries name one run. It depends on what defines the
 * run: scenario, devices, shard count, seed, targets and --start-at.
 */
export function shardRunId(
  c: Pick<RunConfig, 'scenario' | 'devices' | 'shard' | 'seed' | 'targets' | 'startAt'>,
): string {
  const h = createHash('sha256')
    .update(
      JSON.stringify([
        'mqtt-herd shard run/v1',
        c.scenario,
        c.devices,
        c.shard.count,
        c.seed ?? null,
        c.targets,
        c.startAt ?? null,
      ]),
    )
    .digest('hex');
  // RFC 9562 version 8 (custom), variant 10
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
