/**
 * `herd compare` with traffic: per stream msgs/s, delivered/s and loss, and the message
 * latency phases, each judged against noise like the connection figures (Poisson counts,
 * proportions, the bootstrap; with repeats, their ranges too). Runs without traffic get
 * none of these rows.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns, loadRuns, type Comparison, type MetricRow } from '../../src/compare/compare.js';
import { renderComparison } from '../../src/compare/console.js';
import { renderCompareHtml } from '../../src/compare/html.js';
import { summaryToJson } from '../../src/report/json/index.js';
import type { Summary } from '../../src/model/summary.js';
import { summaryOf } from '../helpers/summaries.js';
import { trafficSummary, type StreamSpec } from '../helpers/traffic.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-compare-msg-'));
let n = 0;
function file(s: Summary): string {
  const f = join(dir, `s${n++}.json`);
  writeFileSync(f, summaryToJson(s));
  return f;
}

/** 20 s of a QoS 1 telemetry stream to one subscriber: `perSecond` a second, one in `loseEvery` lost, delivery ~`ms`. */
function run(perSecond: number, loseEvery: number, ms: number, seed = 0): Summary {
  const telemetry: StreamSpec = {
    name: 'telemetry',
    qos: 1,
    receivers: 1,
    perSecond,
    lose: (k) => (k + seed) % loseEvery === 0,
    deliveryMicros: (k) => ms * 1000 + ((k * 7919 + seed * 31) % 1000) * (ms * 2),
  };
  return trafficSummary({ id: `r${n}`, seconds: 20, streams: [telemetry] });
}

async function compare(...args: string[]): Promise<Comparison> {
  return compareRuns(await loadRuns(args, undefined));
}
const rowOf = (c: Comparison, group: string, metric: string): MetricRow | undefined =>
  c.rows.find((r) => r.group === group && r.metric === metric);

describe('herd compare with traffic', () => {
  it('finds a lower message rate, more loss and slower delivery beyond noise', async () => {
    const c = await compare(file(run(100, 100, 5)), file(run(70, 20, 20)));
    const rate = rowOf(c, 'stream telemetry', 'msgs/s')!;
    expect(rate.values[0]).toBeCloseTo(2000 / 20, 5); // per second of traffic: its 20 s
    expect(rate.values[1]).toBeCloseTo(1400 / 20, 5);
    expect(rate.deltas[1]).toMatchObject({ beyondNoise: true, verdict: 'worse', noise: 'counts' });
    const loss = rowOf(c, 'stream telemetry', 'loss')!;
    expect(loss.values[0]).toBeCloseTo(20 / 2000, 6);
    expect(loss.values[1]).toBeCloseTo(70 / 1400, 6);
    expect(loss.deltas[1]).toMatchObject({ beyondNoise: true, verdict: 'worse', noise: 'proportions' });
    expect(rowOf(c, 'stream telemetry', 'delivered/s')!.deltas[1]?.verdict).toBe('worse');
    const p99 = rowOf(c, 'delivery', 'p99')!;
    expect(p99.unit).toBe('ms');
    expect(p99.deltas[1]).toMatchObject({ beyondNoise: true, verdict: 'worse', noise: 'bootstrap' });
    expect(rowOf(c, 'publish_ack', 'p50')).toBeDefined();
    // console and page show them
    const text = renderComparison(c);
    expect(text).toMatch(
      /\n {2}stream telemetry\n\s+msgs\/s\s+100\/s\s+70\/s\s+B: −30\/s \(−30%\) \[[^\]]+\] worse, beyond noise\n/,
    );
    expect(text).toMatch(/delivery\s+p50/);
    const html = renderCompareHtml(c);
    expect(html).toContain('data-row="stream telemetry:loss"');
    expect(html).toContain('data-chart="compare:delivery"');
  });

  it('calls the same traffic within noise, and with repeats needs their ranges apart too', async () => {
    const same = await compare(file(run(100, 50, 5, 1)), file(run(100, 50, 5, 2)));
    for (const r of same.rows.filter((x) => x.group === 'stream telemetry'))
      expect(r.deltas[1]?.beyondNoise).toBe(false);
    // each configuration's repeats differ by more than the configurations do
    const a = [run(100, 50, 5, 1), run(100, 40, 5, 2)].map(file).join(',');
    const b = [run(100, 45, 5, 3), run(100, 55, 5, 4)].map(file).join(',');
    const c = await compare(a, b);
    const loss = rowOf(c, 'stream telemetry', 'loss')!;
    expect(loss.spread[0]).not.toBeNull();
    expect(loss.spread[1]).not.toBeNull();
    expect(loss.deltas[1]?.beyondNoise).toBe(false); // the repeats' ranges overlap
  });

  it('adds no message rows for runs without traffic', async () => {
    const c = await compare(file(summaryOf({ n: 200, every: 5 })), file(summaryOf({ n: 200, every: 5 })));
    expect(c.rows.map((r) => r.group)).not.toContain('delivery');
    expect(c.rows.some((r) => r.group.startsWith('stream '))).toBe(false);
    expect(renderComparison(c)).not.toMatch(/msgs\/s|publish → ack/);
  });
});
