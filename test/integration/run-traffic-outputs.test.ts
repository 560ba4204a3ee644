/**
 * The outputs of a real traffic run against the embedded broker: 20 devices each publish
 * 10 QoS 1 messages on a fixed schedule to two subscribers. summary.json, the series, the
 * console summary, junit.xml and report.html (in Chromium) all carry the same exact counts:
 * 200 published, 200 acked, 400 delivered, nothing lost.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary, WithSeries } from '../../src/model/summary.js';
import { chartPixels, launchChromium, openReport, type Browser } from '../helpers/chromium.js';
import { herd, readSummaryFile } from '../helpers/herd.js';

const SCENARIO = `name: traffic-outputs
devices: { count: 20, id_template: "dev-{i}", key: p256, seed: 3 }
mqtt: { version: 5, keepalive: 30, clean: true }
load: { executor: arrival-rate, rate: 100/s, hold: 4s }
traffic:
  - kind: telemetry
    name: telemetry
    topic: "devices/{id}/telemetry"
    every: 200ms
    count: 10
    payload: 100
    qos: 1
  - kind: subscribers
    count: 2
    filter: "devices/+/telemetry"
    qos: 1
thresholds:
  delivery_duration: ["p(99) < 10s"]
  message_loss: ["rate == 0"]
`;

describe('a real traffic run: every output carries its messages', () => {
  let dir: string;
  let out: string;
  let summary: WithSeries<Summary>;
  let stdout: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herd-traffic-out-'));
    writeFileSync(join(dir, 'traffic.yaml'), SCENARIO);
    out = join(dir, 'out');
    const r = await herd(['run', join(dir, 'traffic.yaml'), '--out', out], 90_000);
    // 0 pass; 97 when a busy machine made the generator late (the counts stay exact)
    expect([0, 97], r.stderr).toContain(r.code);
    stdout = r.stdout;
    summary = readSummaryFile(out);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('summary.json: exact counts, the message phases and the series points agree', () => {
    expect(summary.messages?.telemetry).toMatchObject({
      published: 200,
      acked: 200,
      unacked: 0,
      delivered: 400,
      lost: 0,
      duplicated: 0,
      bytes: 200 * 100,
    });
    expect(summary.latency.publish_ack?.count).toBe(200);
    expect(summary.latency.delivery?.count).toBe(400);
    const points = summary.series!.points;
    expect(points.reduce((a, p) => a + (p.published ?? 0), 0)).toBe(200);
    expect(points.reduce((a, p) => a + (p.delivered ?? 0), 0)).toBe(400);
    expect(points.reduce((a, p) => a + (p.lost ?? 0), 0)).toBe(0);
  });

  it('console: the Messages block and the message phases', () => {
    expect(stdout).toMatch(
      /messages\s+telemetry\s+200 published · [\d.]+ msgs\/s · 200 acked · 0 unacked · QoS 1 · 19\.5 KiB/,
    );
    expect(stdout).toMatch(/400 delivered · 0 lost · 0 duplicated · 0 out of order · \d+ late/);
    expect(stdout).toMatch(/\n {2}publish → ack\s+200\s/);
    expect(stdout).toMatch(/\n {2}delivery\s+400\s/);
  });

  it('junit.xml: the stream passes, and so do its message thresholds', () => {
    const xml = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(xml).toContain(
      '<testcase classname="mqtt-herd.messages.telemetry" name="telemetry: every message acknowledged and delivered" time="0"/>',
    );
    expect(xml).toContain('name="message_loss: rate == 0" time="0"/>');
    expect(xml).toContain('name="delivery_duration: p(99) &lt; 10s" time="0"/>');
  });

  it('report.html: the Messages table and the messages/s chart drawn, in Chromium', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const opened = await openReport(browser, join(out, 'report.html'));
      expect(opened.errors).toEqual([]);
      const row = await opened.page.locator('#messages tbody tr').first().innerText();
      expect(
        row
          .split('\t')
          .slice(0, 7)
          .map((c) => c.trim()),
      ).toEqual(['✓', 'telemetry QoS 1', '200', expect.stringMatching(/^\d+(\.\d)?$/), '200', '0', '400']);
      const messages = (await chartPixels(opened.page)).find((p) => p.chart === 'timeline:messages');
      expect(messages?.colored).toBeGreaterThan(150);
    } finally {
      await browser?.close();
    }
  }, 60_000);
});
