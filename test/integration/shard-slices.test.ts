/**
 * How a run is cut into shards: slices that cover every device exactly once, shares of the
 * load that add up to the scenario's, and the shard taken from JOB_COMPLETION_INDEX when
 * herd runs as a Kubernetes Indexed Job.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile } from '../helpers/herd.js';
import { parse } from '../../src/cli/args.js';
import { runConfigFromFlags } from '../../src/cli/run-flags.js';
import { shardConfig, shardSlice } from '../../src/run/shard.js';
import type { RunConfig } from '../../src/run/config.js';
import type { LoadConfig } from '../../src/load/executor.js';
import type { ArrivalRateConfig } from '../../src/load/arrival-rate.js';
import type { RampingArrivalRateConfig } from '../../src/load/ramping-arrival-rate.js';
import type { ConstantConnectionsConfig } from '../../src/load/constant-connections.js';

const base: RunConfig = runConfigFromFlags(parse([], {}, true), false, {});
const sharded = (devices: number, count: number, index: number, load: LoadConfig = base.load): RunConfig => ({
  ...base,
  devices,
  load,
  shard: { index, count },
});

describe('shard slices', () => {
  it('cover every device exactly once, in order, sizes within one of each other', () => {
    for (const [devices, count] of [
      [1000, 2],
      [1000, 3],
      [7, 7],
      [1_000_000, 100],
      [10, 4],
      [1_000_003, 64],
    ] as const) {
      const slices = Array.from({ length: count }, (_, i) => shardSlice(sharded(devices, count, i)));
      let next = 0;
      for (const s of slices) {
        expect(s.start).toBe(next);
        expect(s.total).toBe(devices);
        next += s.count;
      }
      expect(next).toBe(devices);
      const sizes = slices.map((s) => s.count);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('split the connect rates and held connections so the shards add up to the scenario', () => {
    const ramp: RampingArrivalRateConfig = {
      executor: 'ramping-arrival-rate',
      startRate: 10,
      stages: [{ durationMs: 60_000, target: 300 }],
      durationMs: undefined,
    };
    const cc: ConstantConnectionsConfig = {
      executor: 'constant-connections',
      connections: 999,
      rate: 50,
      durationMs: 60_000,
    };
    const ar: ArrivalRateConfig = { executor: 'arrival-rate', rate: 100, durationMs: undefined };
    for (const load of [ramp, cc, ar]) {
      const shards = [0, 1, 2].map((i) => shardConfig(sharded(1000, 3, i, load)));
      expect(shards.reduce((a, s) => a + s.devices, 0)).toBe(1000);
      const rate = (l: LoadConfig): number =>
        'stages' in l
          ? (l as RampingArrivalRateConfig).stages[0]!.target
          : 'rate' in l
            ? (l as ArrivalRateConfig).rate
            : 0;
      expect(shards.reduce((a, s) => a + rate(s.load), 0)).toBeCloseTo(rate(load), 9);
      if (load === cc) {
        expect(shards.map((s) => (s.load as ConstantConnectionsConfig).connections)).toEqual([333, 333, 333]);
      }
    }
    expect(shardConfig(sharded(1000, 1, 0, ramp))).toEqual(sharded(1000, 1, 0, ramp)); // one shard: the run itself
  });

  it('refuses more shards than devices (exit 2)', async () => {
    const r = await herd([
      'run',
      '--devices',
      '3',
      '--shard-count',
      '5',
      '--shard-index',
      '4',
      '--hold',
      '0s',
      '--quiet',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shard-count: 5 shards need at least as many devices \(the run has 3\)/);
  });

  it('takes the shard index from JOB_COMPLETION_INDEX, as in a Kubernetes Indexed Job', async () => {
    const out = mkdtempSync(join(tmpdir(), 'herd-shard-env-'));
    const r = await herd(
      [
        'run',
        '--devices',
        '40',
        '--rate',
        '200/s',
        '--hold',
        '0s',
        '--workers',
        '1',
        '--shard-count',
        '4',
        '--out',
        out,
      ],
      60_000,
      { JOB_COMPLETION_INDEX: '2' },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/shard 3\/4: devices 20\.\.29 of 40/);
    const s = readSummaryFile(out);
    expect(s.run.shard).toEqual({ index: 2, count: 4, first: 20, last: 29 });
    expect(s.counts).toMatchObject({ attempted: 10, connected: 10 });
  });
});
