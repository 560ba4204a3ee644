/**
 * Debian's mosquitto with clients capped at TLS 1.2 against TLS 1.3 (its default), same
 * devices, same rate: `herd compare --html` shows the per-phase difference in one page,
 * opened in headless Chromium like the report.
 *
 * With mutual TLS a 1.3 client is done after one round trip and sends CONNECT while the
 * broker still checks its certificate, so its TLS phase tends to be shorter and CONNECT →
 * CONNACK longer than with 1.2. On loopback that is a fraction of a millisecond, less than
 * the queueing a busy machine adds, so the test does not bet on the direction: it checks
 * that what compare says about each phase (console and page alike) follows from the two
 * summaries it was given.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herd, readSummaryFile } from '../helpers/herd.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { chartPixels, launchChromium, openReport, type InPage, type InPageCanvas } from '../helpers/chromium.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

/**
 * The verdict the console gives B's change of `phase` p50, checked against the two values:
 * beyond noise, its direction must be the sign of the difference (higher latency is worse).
 * Returns it as the page marks it (`noise` when within noise).
 */
function checkedVerdict(stdout: string, phase: string, a: number, b: number): string {
  const line = new RegExp(`^  ${phase} +p50 .*$`, 'm').exec(stdout)?.[0] ?? '';
  expect(line, stdout).toMatch(/(within noise|no change|(better|worse), beyond noise)$/);
  if (/within noise$/.test(line)) return 'noise';
  if (/no change$/.test(line)) return 'same';
  const word = /(better|worse), beyond noise$/.exec(line)![1]!;
  expect(word, line).toBe(b > a ? 'worse' : 'better');
  return word;
}

describe('TLS 1.2 against TLS 1.3 on mosquitto, compared in one page', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-cmptls-'));
  const pki = join(dir, 'pki');
  const html = join(dir, 'tls.html');
  let m: Mosquitto;
  let compare: Awaited<ReturnType<typeof herd>>;
  const verdicts: Record<'tls' | 'connack', string> = { tls: '', connack: '' };

  beforeAll(async () => {
    for (const args of [
      ['pki', 'ca', '--out', pki],
      ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
      ['pki', 'mint', '--ca', pki, '--count', '600', '--seed', '7', '--out', join(dir, 'devices.store')],
    ]) {
      const r = await herd(args);
      expect(r.code, r.stderr).toBe(0);
    }
    m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
    });
    const run = [
      'run',
      '--target',
      `mqtts://127.0.0.1:${m.port}`,
      '--store',
      join(dir, 'devices.store'),
      '--servername',
      'localhost',
      '--devices',
      '600',
      '--rate',
      '150/s',
      '--hold',
      '0s',
      '--quiet',
    ];
    const r13 = await herd([...run, '--out', join(dir, 'tls1.3')]);
    expect(r13.code, r13.stderr).toBe(0);
    const r12 = await herd([...run, '--tls-max-version', '1.2', '--out', join(dir, 'tls1.2')]);
    expect(r12.code, r12.stderr).toBe(0);
    compare = await herd([
      'compare',
      join(dir, 'tls1.3'),
      join(dir, 'tls1.2'),
      '--labels',
      'TLS 1.3,TLS 1.2',
      '--html',
      html,
    ]);
  }, 120_000);

  afterAll(async () => {
    await m?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the runs differ per phase the way the protocols do', () => {
    expect(compare.code, compare.stderr).toBe(0);
    const t13 = readSummaryFile(join(dir, 'tls1.3'));
    const t12 = readSummaryFile(join(dir, 'tls1.2'));
    expect(t13.counts.connected).toBe(600);
    expect(t12.counts.connected).toBe(600);
    verdicts.tls = checkedVerdict(compare.stdout, 'tls', t13.latency.tls.p50, t12.latency.tls.p50);
    verdicts.connack = checkedVerdict(compare.stdout, 'connack', t13.latency.connack.p50, t12.latency.connack.p50);
    // the console names both runs and gives every phase a line with B's change
    expect(compare.stdout).toMatch(/^ {2}A {2}TLS 1\.3 +pass/m);
    expect(compare.stdout).toMatch(/^ {2}B {2}TLS 1\.2 +pass/m);
    for (const phase of ['connect \\(e2e\\)', 'tcp', 'tls', 'connack'])
      expect(compare.stdout).toMatch(new RegExp(`^  ${phase} +p50 +\\S+ +\\S+ +B: `, 'm'));
    expect(compare.stderr).toMatch(/wrote .*tls\.html \(\d+\.\d KiB\)/);
  });

  it('one page in Chromium: every phase with both runs overlaid, the changes beside them, no error, no request', async () => {
    const browser = await launchChromium();
    try {
      const opened = await openReport(browser, html);
      mkdirSync(ARTIFACTS, { recursive: true });
      await opened.page.screenshot({ path: join(ARTIFACTS, 'compare-tls.png'), fullPage: true });
      expect(opened.errors).toEqual([]);
      expect(browser.leaks).toEqual([]);
      const pixels = await chartPixels(opened.page);
      expect(pixels.map((p) => p.chart)).toEqual(['compare:connect', 'compare:tcp', 'compare:tls', 'compare:connack']);
      for (const p of pixels) expect(p.colored, p.chart).toBeGreaterThan(200);
      // both runs drawn in each chart: a legend entry per run, in its colour
      const legends = await opened.page.evaluate(() =>
        Array.from((globalThis as unknown as InPage).document.querySelectorAll('[data-chart^="compare:"]')).map((el) =>
          Array.from(el.querySelectorAll('.u-legend .u-series')).map((s) => s.textContent ?? ''),
        ),
      );
      for (const l of legends) {
        expect(l.some((t) => t.includes('A TLS 1.3'))).toBe(true);
        expect(l.some((t) => t.includes('B TLS 1.2'))).toBe(true);
      }
      const strokes = await opened.page.evaluate(() => {
        const doc = (globalThis as unknown as InPage).document;
        const el = doc.querySelector('[data-chart="compare:tls"] canvas') as InPageCanvas;
        const px = el.getContext('2d')!.getImageData(0, 0, el.width, el.height).data;
        let blue = 0;
        let red = 0;
        for (let i = 0; i < px.length; i += 4) {
          if (px[i]! < 80 && px[i + 2]! > 200) blue++;
          if (px[i]! > 200 && px[i + 1]! < 80 && px[i + 2]! < 80) red++;
        }
        return { blue, red };
      });
      expect(strokes.blue).toBeGreaterThan(100);
      expect(strokes.red).toBeGreaterThan(100);
      // the change table: a row per phase percentile, judged as the console judged it
      for (const phase of ['tls', 'connack'] as const) {
        const row = opened.page.locator(`tr[data-row="${phase}:p50"]`);
        expect(await row.count()).toBe(1);
        expect(await row.locator('td[data-verdict]').getAttribute('data-verdict')).toBe(verdicts[phase]);
      }
      expect(await opened.page.locator('[data-run-label]').allInnerTexts()).toEqual(['TLS 1.3', 'TLS 1.2']);
    } finally {
      await browser.close();
    }
  });
});
