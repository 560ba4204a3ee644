/**
 * `herd report` on the summaries of two real runs against the embedded broker (one the
 * baseline of the other), opened in headless Chromium: no console error, no request
 * leaving the file, every chart drawn, the verdict and every threshold in the text.
 * Needs the build (`npm run build`), as every test that runs the `herd` command.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { summaryToJson } from '../../src/report/json/index.js';
import type { Summary } from '../../src/model/summary.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import { chartPixels, launchChromium, openReport, type Browser } from '../helpers/chromium.js';
import { herd, readSummaryFile } from '../helpers/herd.js';
import { T0, telemetryAndCommands } from '../helpers/traffic.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const RUN = ['--devices', '300', '--hold', '2s', '--subscribe', 'device/{id}/commands', '--quiet'];
const THRESHOLDS = [
  'connect_duration:p(99) < 10s',
  'connect_duration:p(50) < 1us',
  'connect_failures:rate < 1%',
  'tls_duration:max < 30s',
];

describe('herd report on real runs, in Chromium', () => {
  let dir: string;
  let browser: Browser;
  let summary: Summary;
  let report: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herd-report-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    const base = await herd(['run', ...RUN, '--rate', '100/s', '--out', join(dir, 'base')], 90_000);
    expect(base.code, base.stderr).toBe(0);
    const cur = await herd(
      ['run', ...RUN, '--rate', '150/s', ...THRESHOLDS.flatMap((t) => ['--threshold', t]), '--out', join(dir, 'cur')],
      90_000,
    );
    expect(cur.code, cur.stderr).toBe(99); // p(50) < 1us cannot hold
    summary = readSummaryFile(join(dir, 'cur'));
    report = join(dir, 'out', 'report.html');
    const r = await herd([
      'report',
      join(dir, 'cur', 'summary.json'),
      '--html',
      report,
      '--baseline',
      join(dir, 'base', 'summary.json'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*report\.html \(\d+(\.\d)? KiB\)/);
    browser = await launchChromium();
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens with no console error and no request leaving the file, every chart drawn', async () => {
    const opened = await openReport(browser, report);
    const pixels = await chartPixels(opened.page);
    await opened.page.screenshot({ path: join(ARTIFACTS, 'report-run.png'), fullPage: true });
    expect(opened.errors).toEqual([]);
    expect(browser.leaks).toEqual([]);
    // five phases (subscribe included) and three timelines (no failures: that box is text)
    expect(pixels.map((p) => p.chart)).toEqual([
      'percentile:connect',
      'percentile:tcp',
      'percentile:tls',
      'percentile:connack',
      'percentile:subscribe',
      'timeline:rate',
      'timeline:active',
      'timeline:latency',
    ]);
    expect(opened.charts).toBe(pixels.length);
    for (const p of pixels) {
      expect(p.width, p.chart).toBeGreaterThan(250);
      expect(p.colored, p.chart).toBeGreaterThan(150);
    }
    await opened.page.close();
  });

  it('puts the verdict first and every threshold, with its mark, in the text', async () => {
    const opened = await openReport(browser, report);
    const { page } = opened;
    expect(summary.verdict).toBe('fail');
    const first = await page.locator('main > section').first().innerText();
    expect(first).toContain('FAIL');
    expect(first).toContain(summary.verdict_reason);
    expect(await page.title()).toMatch(/^FAIL · /);
    // the ones asked for, then the default gates they leave in place
    expect(summary.thresholds.filter((t) => t.default !== true).map((t) => `${t.metric} ${t.expression}`)).toEqual(
      THRESHOLDS.map((t) => t.replace(':', ' ')),
    );
    const rows = await page.locator('#thresholds tbody tr').allInnerTexts();
    expect(rows).toHaveLength(summary.thresholds.length);
    summary.thresholds.forEach((t, i) => {
      expect(rows[i]).toContain(t.metric);
      expect(rows[i]).toContain(t.expression);
      expect(rows[i]).toContain(t.ok ? '✓' : '✗');
    });
    const text = await page.innerText('body');
    expect(text).toContain('Against the baseline');
    expect(text).toContain('No failures during the run.');
    expect(text).toContain(summary.run.id);
    await page.close();
  });

  it('says what limited the run right after the verdict, each finding with its evidence', async () => {
    const opened = await openReport(browser, report);
    const { page } = opened;
    expect(summary.findings.length).toBeGreaterThan(0);
    expect(await page.locator('main > section').nth(1).getAttribute('id')).toBe('findings');
    expect(await page.locator('#findings h2').innerText()).toMatch(/^What limited this run/);
    const shown = page.locator('#findings .finding');
    expect(await shown.count()).toBe(summary.findings.length);
    const order = { error: 0, warning: 1, info: 2 };
    const sorted = [...summary.findings].sort((a, b) => order[a.severity] - order[b.severity]);
    for (const [i, f] of sorted.entries()) {
      const box = shown.nth(i);
      expect(await box.getAttribute('data-code')).toBe(f.code);
      expect(await box.locator('.finding-message').innerText()).toBe(f.message);
      const rows = await box.locator('table.evidence tbody tr').allInnerTexts();
      expect(rows).toHaveLength(Object.keys(f.evidence).length);
      Object.keys(f.evidence).forEach((k, j) => expect(rows[j]).toContain(k));
    }
    expect(opened.errors).toEqual([]);
    await page.close();
  });

  it('draws the baseline on the percentile curves', async () => {
    const opened = await openReport(browser, report);
    const legends = await opened.page.locator('[data-chart="percentile:connect"] .u-legend').innerText();
    expect(legends).toContain('this run');
    expect(legends).toContain('baseline');
    await opened.page.close();
  });
});

/**
 * A run with traffic (a QoS 1 telemetry stream that lost 5 of 500 and a command stream),
 * built by the real recorders and aggregator, against a baseline with traffic: the message
 * phases, the messages/s chart and the per-stream table render with their data.
 */
describe('herd report with traffic, in Chromium', () => {
  let dir: string;
  let browser: Browser;
  let report: string;
  const summary = telemetryAndCommands({ thresholds: { delivery_duration: ['p(99) < 200ms'] } });
  const baseline = telemetryAndCommands({ id: 'traffic-base', startedAt: T0 - 3_600_000 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herd-report-traffic-'));
    writeFileSync(join(dir, 'summary.json'), summaryToJson(summary));
    writeFileSync(join(dir, 'base.json'), summaryToJson(baseline));
    report = join(dir, 'report.html');
    const r = await herd(['report', join(dir, 'summary.json'), '--html', report, '--baseline', join(dir, 'base.json')]);
    expect(r.code, r.stderr).toBe(0);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws the message phases and the messages/s timeline, with data, and no console error', async () => {
    const opened = await openReport(browser, report);
    const { page } = opened;
    const pixels = await chartPixels(page);
    await page.screenshot({ path: join(ARTIFACTS, 'report-traffic.png'), fullPage: true });
    expect(opened.errors).toEqual([]);
    expect(browser.leaks).toEqual([]);
    const drawn = pixels.map((p) => p.chart);
    for (const c of ['percentile:publish_ack', 'percentile:delivery', 'percentile:command_rtt', 'timeline:messages'])
      expect(drawn, c).toContain(c);
    expect(opened.charts).toBe(pixels.length);
    for (const p of pixels.filter((x) => /publish_ack|delivery|command_rtt|messages/.test(x.chart))) {
      expect(p.width, p.chart).toBeGreaterThan(250);
      expect(p.colored, p.chart).toBeGreaterThan(150);
    }
    // the legend names every series it drew: the loss at the end of the run among them
    const legend = await page.locator('[data-chart="timeline:messages"] .u-legend').innerText();
    for (const l of ['published/s', 'delivered/s', 'lost/s', 'baseline published/s']) expect(legend).toContain(l);
    await page.close();
  });

  it('lists the message phases in the latency table and each stream in the Messages table', async () => {
    const opened = await openReport(browser, report);
    const { page } = opened;
    const latency = await page.locator('#latency table.latency tbody tr').allInnerTexts();
    const row = (label: string): string[] => latency.find((r) => r.startsWith(label))!.split('\t');
    expect(row('PUBLISH → PUBACK / PUBCOMP')[1]).toBe(String(summary.latency.publish_ack!.count));
    expect(row('Message delivery')[1]).toBe(String(summary.latency.delivery!.count));
    expect(row('Command round trip')[1]).toBe('100');
    expect(await page.locator('nav.toc a[href="#messages"]').count()).toBe(1);
    const streams = await page.locator('#messages tbody tr').allInnerTexts();
    expect(streams).toHaveLength(2);
    const t = streams
      .find((r) => r.includes('telemetry'))!
      .split('\t')
      .map((c) => c.trim());
    // ok, stream, published, msgs/s, acked, unacked, delivered, lost (and its share), duplicated, …
    expect(t.slice(0, 8)).toEqual(['✗', 'telemetry QoS 1', '500', '50', '499', '1', '496', '5\n1.00%']);
    expect(streams.find((r) => r.includes('commands'))).toMatch(/^✓\tcommands QoS 1\t100\t10\t100\t0\t100\t0\t/);
    expect(await page.locator('#messages tbody tr.row-no').count()).toBe(1);
    const tiles = await page.locator('#verdict .tiles').innerText();
    expect(tiles).toMatch(/message loss\s+0\.83%\s+5 deliveries lost/i);
    const deltas = await page.locator('#baseline tbody').innerText();
    expect(deltas).toContain('Message delivery p99');
    expect(deltas).toContain('Messages published /s');
    expect(opened.errors).toEqual([]);
    await page.close();
  });
});

/** A small valid summary built by the real recorder and aggregator. */
function tinySummary(): Summary {
  const rec = new Recorder();
  const agg = new Aggregator();
  for (let i = 0; i < 50; i++) {
    rec.attempt();
    for (const p of ['tcp', 'tls', 'connack', 'connect'] as const) rec.recordPhase(p, 1000 + i * 100);
    rec.connected();
  }
  agg.ingest(rec.drain(), 0);
  const now = new Date().toISOString();
  return finalizeSummary(
    {
      version: 1,
      run: {
        id: 'tiny',
        scenario: 'tiny',
        target: 'mqtts://127.0.0.1:8883',
        started: now,
        ended: now,
        shard: { index: 0, count: 1 },
        mqtt: '3.1.1',
        devices: 50,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: agg.security(),
      latency: agg.latency(),
      mint: { count: 50, per_second: 1000, loaded: 0 },
      findings: [],
      generator: {
        cpu_ms_per_handshake: 1,
        event_loop_lag_p99_ms: 1,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 1024,
        workers: 1,
        processes: 1,
        rss_peak_bytes: 1,
      },
    },
    [],
  );
}

describe('herd report: bad input is exit 2 with a message naming the file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'herd-report-bad-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing summary, a file that is not one, no --html, two summaries', async () => {
    const missing = await herd(['report', join(dir, 'nope.json'), '--html', join(dir, 'r.html')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: cannot read the summary: no such file');

    writeFileSync(join(dir, 'bad.json'), '{"version": 1, "run": {}}');
    const bad = await herd(['report', join(dir, 'bad.json'), '--html', join(dir, 'r.html')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.json');
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const noHtml = await herd(['report', join(dir, 'bad.json')]);
    expect(noHtml.code).toBe(2);
    expect(noHtml.stderr).toContain('--html');

    const two = await herd(['report', join(dir, 'a.json'), join(dir, 'b.json'), '--html', join(dir, 'r.html')]);
    expect(two.code).toBe(2);
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
  });

  it('a bad baseline names the baseline file', async () => {
    writeFileSync(join(dir, 'good.json'), summaryToJson(tinySummary()));
    writeFileSync(join(dir, 'garbage.json'), 'not json');
    const r = await herd([
      'report',
      join(dir, 'good.json'),
      '--html',
      join(dir, 'r.html'),
      '--baseline',
      join(dir, 'garbage.json'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/garbage\.json(:\d+:\d+)?: not valid JSON/);
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
    const ok = await herd([
      'report',
      join(dir, 'good.json'),
      '--html',
      join(dir, 'r.html'),
      '--baseline',
      join(dir, 'good.json'),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('Against the baseline');
  });
});
