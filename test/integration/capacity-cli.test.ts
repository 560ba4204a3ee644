/**
 * `herd capacity` as a user runs it, against the embedded broker: bad flags are exit 2
 * with the flag named; a search bounded by --max-rate answers "at least", confirmed by
 * a hold, and its report (written by the search, and by `herd report` from its summary)
 * shows the capacity section with both charts drawn in Chromium; a search whose SLO
 * cannot hold at any rate exits 99. Ctrl-C mid-step runs
 * against mosquitto, whose log shows when that step is under way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartPixels, launchChromium, openReport } from '../helpers/chromium.js';
import { herd, herdPki, readSummaryFile, spawnHerd } from '../helpers/herd.js';
import { clientsConnected, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-capcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('herd capacity on the command line', () => {
  it('refuses flags that mean nothing to a search, with exit 2 and the flag named', async () => {
    const cases: [string[], RegExp][] = [
      [['--devices', '100'], /--devices: a capacity search sizes each step itself/],
      [['--rate', 'max'], /--rate: a capacity search is open loop/],
      [['--max-rate', 'fast'], /--max-rate: /],
      [['--budget', '10'], /--budget: .*missing unit/],
      [['--precision', '0.1'], /--precision: /],
      [['--key', 'dsa'], /--key: expected p256, p384, ed25519 or rsa2048, got "dsa"/],
      [['--shard-count', '2'], /--shard-count: a capacity search runs on one machine/],
      [
        ['--rate', '500/s', '--max-rate', '100/s'],
        /capacity\.start_rate: the first step \(500\/s\) is above the maximum rate \(100\/s\)/,
      ],
      [['--budget', '2s'], /--budget: the budget \(2s\) is too short for a single step/],
    ];
    for (const [args, message] of cases) {
      const r = await herd(['capacity', ...args, '--quiet']);
      expect(r.code, args.join(' ') + r.stderr).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(/ at .*\.js:\d+/); // no stack trace
    }
    const help = await herd(['capacity', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--max-rate N\/s +never step above this/);
  });

  it('bounded by --max-rate: every step held, confirmed by a longer hold, "at least" the maximum', async () => {
    const out = join(dir, 'max');
    const r = await herd(
      ['capacity', '--rate', '40/s', '--max-rate', '80/s', '--duration', '2s', '--budget', '40s', '--out', out],
      60_000,
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const s = readSummaryFile(out);
    const cap = s.capacity!;
    expect(cap.steps.map((x) => [x.rate, x.kind, x.ok])).toEqual([
      [40, 'ramp', true],
      [80, 'ramp', true],
      [80, 'confirm', true],
    ]);
    expect(cap.steps.map((x) => x.duration_ms)).toEqual([2000, 2000, 6000]);
    expect(cap).toMatchObject({ max_rate: 80, limited_by: 'max_rate', at_least: true, confirmed: true, ceiling: null });
    // the embedded broker is a child process: its CPU is measured like mosquitto's
    expect(cap.config.broker).toMatchObject({ name: 'herd embedded broker', threads: 1 });
    expect(cap.steps.every((x) => x.broker_cpu !== null && x.broker_cpu > 0)).toBe(true);
    expect(cap.steps[2]!.attempted).toBe(480);
    expect(s.counts.attempted).toBe(480); // the summary is the confirming hold's
    expect(r.stdout).toMatch(
      /^capacity {2}at least 80 connects\/s \(confirmed by a longer hold\) · stopped because the maximum rate \(--max-rate\) was reached/m,
    );
  });

  it('the report of the search, and herd report of its summary: the capacity section with both charts drawn', async () => {
    const out = join(dir, 'max'); // the search of the test above
    const html = join(dir, 'max-report.html');
    const r = await herd(['report', join(out, 'summary.json'), '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    const browser = await launchChromium();
    try {
      for (const file of [join(out, 'report.html'), html]) {
        const opened = await openReport(browser, file);
        expect(opened.errors, file).toEqual([]);
        const charts = (await chartPixels(opened.page)).filter((p) => p.chart.startsWith('capacity:'));
        expect(charts.map((p) => p.chart)).toEqual(['capacity:latency', 'capacity:achieved']);
        for (const p of charts) expect(p.colored, `${file} ${p.chart}`).toBeGreaterThan(100);
        expect(await opened.page.locator('nav.toc a[href="#capacity"]').count()).toBe(1);
        const text = await opened.page.locator('#capacity').innerText(); // tile labels are set in capitals
        expect(text).toMatch(/max sustainable rate\s+(≥ )?\d+(\.\d)?\/s/i);
        await opened.page.close();
      }
      expect(browser.leaks).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('an SLO that no rate can hold: steps down, then exit 99 with no maximum', async () => {
    const out = join(dir, 'none');
    const r = await herd(
      [
        'capacity',
        '--rate',
        '4/s',
        '--duration',
        '1s',
        '--budget',
        '30s',
        '--threshold',
        'connect_duration:p(50) < 1us',
        '--out',
        out,
      ],
      60_000,
    );
    expect(r.code, r.stderr + r.stdout).toBe(99);
    const s = readSummaryFile(out);
    expect(s.verdict).toBe('fail');
    expect(s.capacity!.max_rate).toBeNull();
    expect(s.capacity!.steps.map((x) => x.rate)).toEqual([4, 2, 1]);
    expect(s.capacity!.slo).toEqual(['connect_duration p(50) < 1us']);
    expect(s.verdict_reason).toMatch(
      /^no rate held the SLOs: at 1\/s, the lowest tried, connect_duration p\(50\) < 1us: p\(50\)=[\d.]+m?s$/,
    );
  });

  it('Ctrl-C ends the step under way and writes what was found: "at least", exit 97', async () => {
    // against mosquitto, whose log says when the third step is under way
    const pki = join(dir, 'stop-pki');
    const m = await startMosquitto(await herdPki(pki));
    const out = join(dir, 'stop');
    const run = spawnHerd([
      'capacity',
      '--target',
      `mqtts://127.0.0.1:${m.port}`,
      '--pki',
      pki,
      '--servername',
      'localhost',
      '--rate',
      '50/s',
      '--duration',
      '3s',
      '--budget',
      '60s',
      // an SLO that a slow machine does not break: this is about Ctrl-C, not about latency
      '--threshold',
      'connect_failures:rate < 0.01',
      '--out',
      out,
    ]);
    try {
      let seen = '';
      run.proc.stderr!.on('data', (d: Buffer) => (seen += d.toString()));
      await until(() => /\n +2 +ramp/.test(seen), 'the second step to finish');
      // steps 1 and 2 connected 50/s and 100/s for 3 s each: 450 clients; past them, step 3 (200/s) runs
      await until(() => clientsConnected(m) >= 450 + 50, 'the third step to connect 50 clients');
      run.proc.kill('SIGINT');
      const r = await run.done;
      expect(r.code, r.stderr).toBe(97);
      expect(r.stderr).toMatch(/stopping the search/);
      const cap = readSummaryFile(out).capacity!;
      expect(cap, r.stderr).toMatchObject({ limited_by: 'interrupted', at_least: true, max_rate: 100 });
      expect(cap.steps.length).toBe(3);
      expect(cap.steps.at(-1)).toMatchObject({
        rate: 200,
        ok: false,
        broke: ['stopped by the user before the step ended'],
      });
      expect(readSummaryFile(out).verdict).toBe('inconclusive');
    } finally {
      if (run.proc.exitCode === null && run.proc.signalCode === null) run.proc.kill('SIGKILL');
      await m.stop();
    }
  }, 60_000);
});
