/**
 * Two shards of one run against one mosquitto, side by side from a common --start-at, and
 * `herd merge`: every device runs exactly once across the shards, the merged counts are
 * those of the same devices run as one shard, and the merged histograms are exactly the
 * union of the shards' (checked here with hdr-histogram-js itself, not with herd's merge).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { herd, herdPki, spawnHerd, readSummaryFile, readSummaryAt } from '../helpers/herd.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import type { Summary } from '../../src/model/summary.js';

const PHASES = ['tcp', 'tls', 'connack', 'subscribe', 'connect'] as const;
const DEVICES = 300;
/** From spawning the shards to their common --start-at: more than start-up and minting take on a busy machine. */
const START_LEAD_MS = 15_000;
const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-shard-'));

/** Client ids mosquitto saw connect, in its log since `from`. */
function connectedIds(m: Mosquitto, from: number): string[] {
  return [
    ...m
      .log()
      .slice(from)
      .matchAll(/New client connected from \S+ as (\S+) \(/g),
  ].map((x) => x[1]!);
}

const range = (first: number, last: number): string[] =>
  Array.from({ length: last - first + 1 }, (_, k) => `dev-${first + k}`);

describe('shards of one run, merged', () => {
  const dir = tmp();
  const pki = join(dir, 'pki');
  let m: Mosquitto;
  let target: string;
  const shards: Summary[] = [];
  const shardFiles = [join(dir, 's0', 'summary.json'), join(dir, 's1', 'summary.json')];
  let seed = '';
  let startAt = '';
  let shardIds: string[] = [];

  const runArgs = (...extra: string[]): string[] => [
    'run',
    '--target',
    target,
    '--pki',
    pki,
    '--servername',
    'localhost',
    '--devices',
    String(DEVICES),
    '--rate',
    '200/s',
    '--hold',
    '1s',
    '--workers',
    '1',
    '--threshold',
    'connect_duration:p(99) < 5s',
    ...extra,
  ];

  beforeAll(async () => {
    m = await startMosquitto(await herdPki(pki));
    target = `mqtts://127.0.0.1:${m.port}`;

    // both shards side by side, from a common start ahead of them: start-up and minting come
    // first, and nothing says when they are done, so the lead is a generous safety net
    const logFrom = m.log().length;
    startAt = new Date(Math.ceil((Date.now() + START_LEAD_MS) / 1000) * 1000).toISOString();
    const runs = [0, 1].map((i) =>
      spawnHerd(
        runArgs('--shard-index', String(i), '--shard-count', '2', '--start-at', startAt, '--out', join(dir, `s${i}`)),
      ),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr + m.log()).toBe(0);
    shards.push(...shardFiles.map((f) => readSummaryAt(f)));
    shardIds = connectedIds(m, logFrom);
    const seeds = results.map((r) => /derives the seed from the CA certificate \(([^)]+)\)/.exec(r.stderr)?.[1]);
    expect(seeds[0]).toBeDefined();
    expect(seeds[1]).toBe(seeds[0]);
    seed = seeds[0]!;
  }, 90_000);
  afterAll(async () => {
    await m?.stop();
  });

  it('gives each shard a disjoint slice of the devices, covering all of them, started together', () => {
    expect(shards.map((s) => s.run.shard)).toEqual([
      { index: 0, count: 2, first: 0, last: 149 },
      { index: 1, count: 2, first: 150, last: 299 },
    ]);
    expect(shards.map((s) => s.counts.attempted)).toEqual([150, 150]);
    expect(shards.map((s) => s.mint.count)).toEqual([150, 150]); // each minted only its slice
    expect(shards[1]!.run.id).toBe(shards[0]!.run.id); // one run
    // both waited for the common start (neither was late)
    expect(shards.map((s) => s.run.started)).toEqual([startAt, startAt]);
  });

  it('runs no device twice: the broker saw each client id exactly once', () => {
    expect(shardIds).toHaveLength(DEVICES);
    expect([...shardIds].sort()).toEqual(range(0, DEVICES - 1).sort());
    expect(m.log()).not.toMatch(/already connected/);
  });

  it('merges into the counts of the same devices run as one shard', async () => {
    const out = join(dir, 'merged.json');
    const r = await herd(['merge', ...shardFiles, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS/);
    const merged = readSummaryAt(out);

    // the same devices as one shard, with the seed the shards derived
    const logFrom = m.log().length;
    const wholeDir = join(dir, 'whole');
    const w = await herd(runArgs('--seed', seed, '--out', wholeDir));
    // 97 only if this shared machine stalled the generator: the counts are what is compared
    expect([0, 97], w.stderr).toContain(w.code);
    const whole = readSummaryFile(wholeDir);
    expect([...connectedIds(m, logFrom)].sort()).toEqual([...shardIds].sort());

    const { active_peak: _a, ...mergedCounts } = merged.counts;
    const { active_peak: _b, ...wholeCounts } = whole.counts;
    expect(mergedCounts).toEqual(wholeCounts);
    expect(mergedCounts).toMatchObject({ attempted: DEVICES, connected: DEVICES, failed: 0 });
    for (const phase of PHASES) expect(merged.latency[phase].count, phase).toBe(whole.latency[phase].count);
    expect(merged.run).toMatchObject({
      id: shards[0]!.run.id,
      devices: DEVICES,
      shard: { index: 0, count: 1, first: 0, last: DEVICES - 1 },
    });
    expect(merged.run.shard).toEqual(whole.run.shard);
    expect(merged.mint.count).toBe(DEVICES);
    // the threshold is evaluated again, on the merged p99; the default gates too, on the merged counts
    expect(merged.thresholds).toEqual([
      { metric: 'connect_duration', expression: 'p(99) < 5s', ok: true, value: merged.latency.connect.p99 },
      { metric: 'connected', expression: 'count > 0', ok: true, value: DEVICES, default: true },
      { metric: 'connect_failures', expression: 'rate <= 0.01', ok: true, value: 0, default: true },
      { metric: 'session_drops', expression: 'rate <= 0.01', ok: true, value: 0, default: true },
    ]);
    expect(merged.verdict).toBe('pass');
  });

  it('merges the latency histograms exactly: their union, percentile for percentile', () => {
    const merged = readSummaryAt(join(dir, 'merged.json'));
    for (const phase of PHASES) {
      const union = decodeFromCompressedBase64(shards[0]!.latency[phase].hdr, 64, false);
      union.add(decodeFromCompressedBase64(shards[1]!.latency[phase].hdr, 64, false));
      const got = decodeFromCompressedBase64(merged.latency[phase].hdr, 64, false);
      expect(got.totalCount, phase).toBe(union.totalCount);
      for (const p of [0, 10, 25, 50, 75, 90, 95, 99, 99.9, 100])
        expect(got.getValueAtPercentile(p), `${phase} p${p}`).toBe(union.getValueAtPercentile(p));
      if (union.totalCount === 0) continue;
      const l = merged.latency[phase];
      expect([l.p50, l.p90, l.p99, l.p999, l.max]).toEqual(
        [50, 90, 99, 99.9, 100].map((p) => Math.round(union.getValueAtPercentile(p)) / 1000),
      );
    }
    expect(merged.latency.connect.count).toBe(DEVICES);
  });

  it('a shard mints the same bytes as a full mint, and runs its slice of a --store', async () => {
    const full = join(dir, 'full.store');
    const slice = join(dir, 'slice.store');
    for (const args of [
      ['pki', 'mint', '--ca', pki, '--count', String(DEVICES), '--seed', seed, '--out', full, '--quiet'],
      ['pki', 'mint', '--ca', pki, '--start', '150', '--count', '150', '--seed', seed, '--out', slice, '--quiet'],
      ['pki', 'export', '--store', full, '--device-id', 'dev-217', '--out', join(dir, 'from-full')],
      ['pki', 'export', '--store', slice, '--device-id', 'dev-217', '--out', join(dir, 'from-slice')],
    ]) {
      const r = await herd(args);
      expect(r.code, r.stderr).toBe(0);
    }
    for (const f of ['dev-217.crt', 'dev-217.key']) {
      expect(readFileSync(join(dir, 'from-slice', f)), f).toEqual(readFileSync(join(dir, 'from-full', f)));
    }

    // shard 2/2 from the full store runs devices 150..299 of it, and only those
    const logFrom = m.log().length;
    const out = join(dir, 'from-store');
    const r = await herd([
      'run',
      '--target',
      target,
      '--store',
      full,
      '--server-ca',
      join(pki, 'ca.crt'),
      '--servername',
      'localhost',
      '--devices',
      String(DEVICES),
      '--rate',
      '300/s',
      '--hold',
      '0s',
      '--workers',
      '1',
      '--shard-index',
      '1',
      '--shard-count',
      '2',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = readSummaryFile(out);
    expect(s.run.shard).toEqual({ index: 1, count: 2, first: 150, last: 299 });
    expect(s.mint).toMatchObject({ count: 0, loaded: 150 });
    expect(s.counts).toMatchObject({ attempted: 150, connected: 150 });
    expect([...connectedIds(m, logFrom)].sort()).toEqual(range(150, 299).sort());
  });

  it('refuses to merge overlapping shards, a shard twice, or a file that is not a summary (exit 2, naming the file)', async () => {
    const overlapping = join(dir, 'overlap.json');
    const s = structuredClone(shards[1]!);
    s.run.shard = { index: 1, count: 2, first: 100, last: 249 };
    s.run.id = 'another-run';
    writeFileSync(overlapping, JSON.stringify(s));
    let r = await herd(['merge', shardFiles[0]!, overlapping, '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${overlapping}: ran devices 100..249, which overlap devices 0..149 of ${shardFiles[0]}`,
    );

    r = await herd(['merge', shardFiles[0]!, shardFiles[0]!, '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${shardFiles[0]}: shard 1/2 of run`);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"version": 1, "run": {}}');
    r = await herd(['merge', shardFiles[0]!, bad, '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: not a mqtt-herd summary: run.id: missing`);

    r = await herd(['merge', shardFiles[0]!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out/);
  });

  it('says which shards are missing from a partial merge', async () => {
    const out = join(dir, 'partial.json');
    const r = await herd(['merge', shardFiles[1]!, '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const p = readSummaryAt(out);
    expect(p.verdict_reason).toMatch(/merged 1 of 2 shards; missing 1/);
    expect(p.run.shard).toEqual({ index: 0, count: 1, first: 150, last: 299 });
  });
});
