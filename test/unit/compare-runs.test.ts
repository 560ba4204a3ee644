import { describe, it, expect, beforeAll } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { compareRuns, kneeBracket, loadRuns } from '../../src/compare/compare.js';
import { renderComparison } from '../../src/compare/console.js';
import { renderCompareHtml } from '../../src/compare/html.js';
import { rng } from '../../src/compare/noise.js';
import { createHistogram, encodeHistogram, latencyStats, recordMicros } from '../../src/metrics/hdr.js';
import { PHASES } from '../../src/model/names.js';
import { summaryToJson } from '../../src/report/json/index.js';
import type { Summary } from '../../src/model/summary.js';
import type { Capacity } from '../../src/model/capacity.js';

/** A summary whose TLS phase centres on tlsMs (and connect on tlsMs + 2). */
function summary(tlsMs: number, seed: number, extra: Partial<Summary> = {}): Summary {
  const r = rng(seed);
  const latency = {} as Summary['latency'];
  for (const p of PHASES) {
    const h = createHistogram('cumulative');
    if (p !== 'subscribe') {
      for (let i = 0; i < 2000; i++) {
        const z = Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
        const base = p === 'tls' ? tlsMs : p === 'connect' ? tlsMs + 2 : 0.5;
        recordMicros(h, base * 1000 * Math.exp(0.3 * z));
      }
    }
    latency[p] = { ...latencyStats(h), hdr: encodeHistogram(h) };
  }
  return {
    version: 1,
    run: {
      id: randomUUID(),
      scenario: 'tls',
      target: 'mqtts://127.0.0.1:8883',
      started: '2025-01-01T00:00:00.000Z',
      ended: '2025-01-01T00:00:10.000Z',
      shard: { index: 0, count: 1 },
      mqtt: '3.1.1',
      devices: 2000,
      executor: 'arrival-rate',
    },
    counts: {
      attempted: 2000,
      connected: 2000,
      failed: 0,
      rejected_as_expected: 0,
      accepted_unexpectedly: 0,
      active_peak: 0,
      dropped: 0,
      session_drops: 0,
    },
    failures: [],
    security: [],
    latency,
    mint: { count: 0, per_second: 0, loaded: 2000 },
    generator: {
      cpu_ms_per_handshake: 3,
      event_loop_lag_p99_ms: 3,
      saturated: false,
      saturation_reasons: [],
      fd_limit: 1024,
      workers: 2,
      processes: 1,
      rss_peak_bytes: 0,
    },
    thresholds: [],
    findings: [],
    verdict: 'pass',
    verdict_reason: '',
    ...extra,
  };
}

function capacity(maxRate: number, ceiling: number | null, key: string): Capacity {
  return {
    max_rate: maxRate,
    limited_by: 'slo',
    steps: [],
    confirmed: true,
    at_least: false,
    ceiling,
    reason: `${maxRate}/s held`,
    findings: [],
    slo: ['connect_duration p(99) < 500ms'],
    search: {
      start_rate: 50,
      max_rate: 10_000,
      precision: 0.1,
      budget_ms: 60_000,
      elapsed_ms: 50_000,
      started: '',
      ended: '',
    },
    config: {
      key,
      tls_min_version: null,
      tls_max_version: null,
      mqtt: '3.1.1',
      in_flight: 100,
      hold_ms: 0,
      workers: 2,
      target: 'mqtts://127.0.0.1:8883',
      broker: null,
    },
  };
}

let dir: string;
const put = (name: string, s: Summary): string => {
  mkdirSync(join(dir, name), { recursive: true });
  const f = join(dir, name, 'summary.json');
  writeFileSync(f, summaryToJson(s));
  return f;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'herd-compare-'));
});

describe('herd compare: runs side by side', () => {
  it('labels runs by their directories, and a slower TLS phase is worse beyond noise', async () => {
    put('tls1.3', summary(2, 1));
    put('tls1.2', summary(3, 2));
    const runs = await loadRuns([join(dir, 'tls1.3'), join(dir, 'tls1.2', 'summary.json')], undefined);
    expect(runs.map((r) => r.label)).toEqual(['tls1.3', 'tls1.2']);
    const c = compareRuns(runs);
    const tls50 = c.rows.find((r) => r.group === 'tls' && r.metric === 'p50')!;
    expect(tls50.deltas[1]).toMatchObject({ beyondNoise: true, verdict: 'worse', noise: 'bootstrap' });
    expect(tls50.deltas[1]!.relative!).toBeGreaterThan(0.3);
    const tcp50 = c.rows.find((r) => r.group === 'tcp' && r.metric === 'p50')!;
    expect(tcp50.deltas[1]).toMatchObject({ beyondNoise: false, verdict: 'same' });
    expect(c.rows.some((r) => r.group === 'subscribe')).toBe(false);
    const text = renderComparison(c, { ascii: true });
    expect(text).toMatch(
      /\n {2}tls +p50 +2\.\d+ms +3\.\d+ms +B: \+\d+µs \(\+\d+%\) \[\+\d+µs, \+[\d.]+m?s\] worse, beyond noise\n/,
    );
    const html = renderCompareHtml(c);
    expect(html).toContain('data-chart="compare:tls"');
    expect(html).not.toContain('data-chart="compare:subscribe"');
    expect(html).toMatch(/data-row="tls:p50"><td>TLS handshake<\/td>.*data-verdict="worse"/);
  });

  it('repeats: pooled, and a difference inside their spread is not beyond noise', async () => {
    // repeats of one configuration ran the same devices: pooled, not refused as overlapping shards
    const same = (tlsMs: number, seed: number): Summary => {
      const s = summary(tlsMs, seed);
      return { ...s, run: { ...s.run, shard: { index: 0, count: 1, first: 0, last: 1999 } } };
    };
    const a = [put('a1', same(2, 11)), put('a2', same(2.6, 12)), put('a3', same(2.2, 13))];
    const b = [put('b1', summary(2.4, 21)), put('b2', summary(2.1, 22))];
    const runs = await loadRuns([a.join(','), b.join(',')], ['A', 'B']);
    expect(runs[0]!.pooled.latency.tls.count).toBe(6000);
    const c = compareRuns(runs);
    const tls50 = c.rows.find((r) => r.group === 'tls' && r.metric === 'p50')!;
    expect(tls50.spread[0]![0]).toBeLessThan(2.1);
    expect(tls50.spread[0]![1]).toBeGreaterThan(2.5);
    expect(tls50.deltas[1]).toMatchObject({ beyondNoise: false, noise: 'bootstrap and repeats' });
    expect(c.notes.join(' ')).not.toMatch(/repeat each configuration/);
  });

  it('capacity knees: labels from the key type, brackets decide noise', async () => {
    const p256 = put('k1', summary(2, 31, { capacity: capacity(300, 330, 'p256') }));
    const p384 = put('k2', summary(2, 32, { capacity: capacity(200, 220, 'p384') }));
    const ed = put('k3', summary(2, 33, { capacity: capacity(310, 340, 'ed25519') }));
    const runs = await loadRuns([p256, p384, ed], undefined);
    expect(runs.map((r) => r.label)).toEqual(['key p256', 'key p384', 'key ed25519']);
    const c = compareRuns(runs);
    const knee = c.rows[0]!;
    expect(knee).toMatchObject({ group: 'capacity', values: [300, 200, 310] });
    expect(knee.deltas[1]).toMatchObject({ beyondNoise: true, verdict: 'worse', noise: 'knee brackets' });
    expect(knee.deltas[2]).toMatchObject({ beyondNoise: false, verdict: 'same' });
    expect(kneeBracket([capacity(300, 330, 'p256'), { ...capacity(280, null, 'p256'), at_least: true }])).toEqual([
      280,
      Infinity,
    ]);
    expect(renderComparison(c)).toMatch(/capacity\n {4}A {2}300\/s, broke at 330\/s \(slo\)/);
  });

  it('needs two runs, and one label per run', async () => {
    const one = put('solo', summary(2, 41));
    await expect(loadRuns([one], undefined)).rejects.toThrow(/at least two summaries/);
    await expect(loadRuns([one, one], ['x'])).rejects.toThrow(/--labels: 1 labels for 2 runs/);
    await expect(loadRuns([one, join(dir, 'missing.json')], undefined)).rejects.toThrow(
      /missing\.json: cannot read the summary: no such file/,
    );
  });
});
