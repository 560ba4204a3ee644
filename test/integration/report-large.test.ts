/**
 * The report of a 100,000-device run stays small and opens fast. The summary is built the
 * way `herd run` builds one: two worker Recorders on a simulated clock record every phase
 * of every device into HDR histograms and drain once a second into the coordinator's
 * Aggregator (time series and all), and finalizeSummary evaluates the thresholds and sets
 * the verdict. The run is long (about 1 h 40 min, so the series is downsampled) and has
 * failures, a broker stall, faulty devices and session drops.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import type { FailurePhase, Fault } from '../../src/model/names.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { parseThreshold, type Threshold } from '../../src/judge/thresholds.js';
import { explainReason } from '../../src/report/explain/index.js';
import { writeHtmlReport } from '../../src/report/html/index.js';
import { summaryToJson } from '../../src/report/json/index.js';
import type { Summary, WithSeries } from '../../src/model/summary.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import { chartPixels, launchChromium, openReport, type Browser } from '../helpers/chromium.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SynthOptions {
  devices: number;
  seed: number;
  /** multiplies every latency (a baseline run on a slower broker: > 1) */
  slower: number;
}

/** A realistic summary of a ramp to 60 connects/s, each device held for an hour. */
function synthesize(o: SynthOptions): WithSeries<Summary> {
  const rnd = prng(o.seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const logNormal = (medianMs: number, sigma: number): number => medianMs * 1000 * Math.exp(sigma * normal());
  const t0 = Date.parse('2026-03-02T09:00:00.000Z');
  let clock = t0;
  const now = (): number => clock;
  const workers = [new Recorder({ now }), new Recorder({ now })];
  const agg = new Aggregator({ startedAt: t0, now });
  const holdS = 3600;
  const closeAt = new Map<number, number[]>();
  const rate = (s: number): number => Math.min(60, 2 + s / 10); // ramp over 10 minutes, then 60/s
  const faults: [Fault, number, string][] = [
    ['wrong_ca', 0.01, 'tls_alert_unknown_ca'],
    ['expired', 0.005, 'tls_alert_certificate_expired'],
    ['revoked', 0.005, 'tls_alert_certificate_revoked'],
    ['no_cert', 0.003, 'tls_alert_certificate_required'],
  ];
  let started = 0;
  let carry = 0;
  let sec = 0;
  for (; started < o.devices || closeAt.size > 0; sec++) {
    clock = t0 + sec * 1000;
    const stall = sec >= 1500 && sec < 1530; // the broker stalls for 30 s
    carry += started < o.devices ? rate(sec) : 0;
    for (; carry >= 1 && started < o.devices; carry--, started++) {
      const w = workers[started % 2] as Recorder;
      w.attempt();
      const tcp = logNormal(0.6, 0.5);
      const fail = (phase: FailurePhase, reason: string): void => w.failure(phase, reason);
      const r = rnd();
      if (r < 0.0004) {
        fail('tcp', 'tcp_reset');
        continue;
      }
      w.recordPhase('tcp', tcp);
      const tls = logNormal(7 * o.slower * (1 + rate(sec) / 120), 0.45);
      let x = rnd();
      const fault = faults.find(([, share]) => (x -= share) < 0);
      if (fault !== undefined) {
        w.rejectedAsExpected(fault[0], 'tls', fault[2]);
        continue;
      }
      if (r < 0.001) {
        fail('tls', 'tls_timeout');
        continue;
      }
      w.recordPhase('tls', tls);
      if (stall && rnd() < 0.3) {
        fail('connack', rnd() < 0.7 ? 'connack_timeout' : 'connack_server_unavailable');
        continue;
      }
      const connack = logNormal(11 * o.slower, 0.35) + (stall ? 900_000 * rnd() : 0);
      w.recordPhase('connack', connack);
      const sub = logNormal(2.5 * o.slower, 0.3);
      w.recordPhase('subscribe', sub);
      w.recordPhase('connect', tcp + tls + connack + sub + logNormal(0.8, 1));
      w.connected();
      w.active(1);
      const end = sec + holdS + Math.floor(rnd() * 60);
      const list = closeAt.get(end) ?? [];
      list.push(started % 2);
      closeAt.set(end, list);
    }
    for (const worker of closeAt.get(sec) ?? []) {
      const w = workers[worker] as Recorder;
      w.active(-1);
      if (rnd() < 0.002) {
        w.dropped();
        w.failure('session', 'tcp_reset');
      }
    }
    closeAt.delete(sec);
    workers.forEach((w, i) => agg.ingest(w.drain(), i));
  }
  const thresholds = [
    ['connect_duration', 'p(99) < 250ms'],
    ['connect_duration', 'p(50) < 50ms'],
    ['tls_duration', 'p(99) < 25ms'],
    ['connect_failures', 'rate < 0.01'],
    ['unexpected_accepts', 'count == 0'],
  ].map(([m, e]) => {
    const t = parseThreshold(m as string, e as string);
    if (!t.ok) throw new Error(t.error);
    return t.value;
  }) satisfies Threshold[];
  const summary = finalizeSummary(
    {
      version: 1,
      run: {
        id: `synthetic-${o.seed}`,
        scenario: 'ramp-100k',
        target: 'mqtts://broker.example:8883',
        started: new Date(t0).toISOString(),
        ended: new Date(clock).toISOString(),
        shard: { index: 0, count: 1 },
        mqtt: '5',
        devices: o.devices,
        executor: 'ramping-arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: agg.security(),
      latency: agg.latency(),
      mint: { count: o.devices, per_second: 9_800, loaded: 0 },
      findings: [],
      generator: {
        cpu_ms_per_handshake: 1.9,
        event_loop_lag_p99_ms: 14.2,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 1_048_576,
        workers: 2,
        processes: 1,
        rss_peak_bytes: 1_480_000_000,
      },
    },
    thresholds,
  );
  return { ...summary, series: agg.series() };
}

describe('the report of a 100,000-device run', () => {
  let dir: string;
  let browser: Browser;
  let run: WithSeries<Summary>;
  let file: string;
  let size: number;
  let renderMs: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herd-report-large-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    const baseline = synthesize({ devices: 100_000, seed: 7, slower: 1.25 });
    run = synthesize({ devices: 100_000, seed: 42, slower: 1 });
    writeFileSync(join(dir, 'summary.json'), summaryToJson(run));
    file = join(dir, 'report.html');
    const t0 = performance.now();
    await writeHtmlReport(run, file, { baseline });
    renderMs = performance.now() - t0;
    size = statSync(file).size;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is a realistic summary: 100k devices, a long downsampled series, failures, faults, a failed threshold', () => {
    expect(run.counts.attempted).toBe(100_000);
    expect(run.latency.connect.count).toBeGreaterThan(95_000);
    expect(run.series?.resolution).toBeGreaterThan(1);
    expect(run.series?.points.length).toBeGreaterThan(1000);
    expect(run.counts.active_peak).toBeGreaterThan(50_000);
    expect(run.failures.length).toBeGreaterThan(3);
    expect(run.security.length).toBe(4);
    expect(run.verdict).toBe('fail');
    expect(run.thresholds.some((t) => t.ok)).toBe(true);
  });

  it('stays under 3 MB and opens with every chart drawn', async () => {
    const summaryBytes = statSync(join(dir, 'summary.json')).size;
    const opened = await openReport(browser, file);
    const pixels = await chartPixels(opened.page);
    console.log(
      `100k-device report: ${(size / 1024).toFixed(0)} KiB (summary.json ${(summaryBytes / 1024).toFixed(0)} KiB), written in ${renderMs.toFixed(0)} ms; ` +
        `opened with ${opened.charts} charts drawn in ${opened.openMs.toFixed(0)} ms (${opened.readyMs.toFixed(0)} ms after navigation start)`,
    );
    await opened.page.screenshot({ path: join(ARTIFACTS, 'report-100k.png'), fullPage: true });
    expect(size).toBeLessThan(3 * 1024 * 1024);
    // how long it took is printed above, not asserted: on a shared machine that is noise; what
    // keeps it quick is bounded here (the size) and in html-data-curves (points per curve)
    expect(opened.errors).toEqual([]);
    expect(browser.leaks).toEqual([]);
    expect(opened.charts).toBe(pixels.length);
    expect(pixels.length).toBe(9); // 5 phases + 4 timelines
    for (const p of pixels) expect(p.colored, p.chart).toBeGreaterThan(200);
    await opened.page.close();
  });

  it('explains every failure reason and shows every threshold and the verdict', async () => {
    const opened = await openReport(browser, file);
    const text = await opened.page.innerText('body');
    expect(text).toContain('FAIL');
    expect(text).toContain(run.verdict_reason);
    for (const t of run.thresholds) {
      const row = opened.page.locator('#thresholds tr', { hasText: t.expression });
      await expect(row.innerText()).resolves.toContain(t.metric);
      await expect(row.innerText()).resolves.toContain(t.ok ? '✓' : '✗');
    }
    for (const f of run.failures) expect(text).toContain(explainReason(f.reason).title);
    expect(text).toContain('Against the baseline');
    expect(opened.errors).toEqual([]);
    await opened.page.close();
  });

  it('prints', async () => {
    const opened = await openReport(browser, file);
    await opened.page.emulateMedia({ media: 'print' });
    const pdf = await opened.page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(join(ARTIFACTS, 'report-100k.pdf'), pdf);
    expect(pdf.length).toBeGreaterThan(50_000);
    expect(opened.errors).toEqual([]);
    await opened.page.close();
  });
});
