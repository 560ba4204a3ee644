/**
 * `herd capacity` against Debian's mosquitto finds a knee and says what limited it.
 *
 * The broker has an RSA-4096 server key: signing costs it ~3 ms per handshake (openssl
 * speed) while the client only verifies. The generator needs ~2.5 ms of CPU per
 * handshake and mosquitto ~1.2 ms with a P-256 key, so on a machine of two cores that
 * both share, a P-256 mosquitto outlasts the generator (the search ends "at least X",
 * exit 97); with RSA-4096 the broker is the dearer side and breaks first — which is
 * the case this test is about. One short search (60 s budget); the three-run
 * repeatability check is bench/capacity.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herd, readSummaryFile } from '../helpers/herd.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { chartPixels, launchChromium, openReport } from '../helpers/chromium.js';
import type { Capacity } from '../../src/model/capacity.js';

/** A server certificate with an RSA key of `bits`, signed by the herd CA in `pki` (openssl CLI). */
export function rsaServer(pki: string, bits: number): { cert: string; key: string } {
  const key = join(pki, `server-rsa${bits}.key`);
  const csr = join(pki, `server-rsa${bits}.csr`);
  const cert = join(pki, `server-rsa${bits}.crt`);
  const ext = join(pki, `server-rsa${bits}.ext`);
  writeFileSync(
    ext,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  const run = (args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-new', '-newkey', `rsa:${bits}`, '-nodes', '-keyout', key, '-subj', '/CN=localhost', '-out', csr]);
  run([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(pki, 'ca.crt'),
    '-CAkey',
    join(pki, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '30',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  return { cert, key };
}

describe('herd capacity against Debian mosquitto', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-capm-'));
  const pki = join(dir, 'pki');
  const out = join(dir, 'out');
  let m: Mosquitto;
  let r: Awaited<ReturnType<typeof herd>>;
  let cap: Capacity;

  beforeAll(async () => {
    const ca = await herd(['pki', 'ca', '--out', pki]);
    expect(ca.code, ca.stderr).toBe(0);
    const server = rsaServer(pki, 4096);
    m = await startMosquitto({ cafile: join(pki, 'ca.crt'), certfile: server.cert, keyfile: server.key });
    r = await herd(
      [
        'capacity',
        '--target',
        `mqtts://127.0.0.1:${m.port}`,
        '--pki',
        pki,
        '--servername',
        'localhost',
        '--rate',
        '50/s',
        '--budget',
        '60s',
        '--out',
        out,
      ],
      120_000,
    );
    cap = readSummaryFile(out).capacity!;
  }, 150_000);

  afterAll(async () => {
    await m?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a knee bracketed by a rate that held and one that broke, within the budget', () => {
    expect(r.code, r.stderr + r.stdout + m.log()).toBe(0);
    expect(cap.limited_by).toBe('slo');
    expect(cap.at_least).toBe(false);
    expect(cap.max_rate).toBeGreaterThan(0);
    expect(cap.ceiling!).toBeGreaterThan(cap.max_rate!);
    // within the budget as the search plans it (the steps it chose fit), not as a clock measures it
    expect(cap.search.budget_ms).toBe(60_000);
    expect(cap.steps.reduce((ms, s) => ms + s.duration_ms, 0)).toBeLessThanOrEqual(cap.search.budget_ms);
    // geometric steps first, then bisection or a confirming hold
    expect(cap.steps.slice(0, 2).map((s) => [s.rate, s.kind])).toEqual([
      [50, 'ramp'],
      [100, 'ramp'],
    ]);
    expect(cap.steps.some((s) => s.ok)).toBe(true);
    expect(cap.steps.some((s) => !s.ok && s.broke.length > 0)).toBe(true);
    for (const s of cap.steps) {
      expect(s.achieved).toBeGreaterThan(0);
      expect(s.p99!).toBeGreaterThanOrEqual(s.p50!);
      expect(typeof s.failed).toBe('number');
    }
    const s = readSummaryFile(out);
    expect(s.run.executor).toBe('breakpoint');
    expect(s.verdict).toBe('pass');
    expect(s.verdict_reason).toMatch(/^max sustainable connect rate \d+(\.\d)?\/s/);
  });

  it('explains what limited it: the mosquitto process’s CPU, measured, among the evidence', () => {
    expect(cap.config.broker).toMatchObject({ pid: m.pid, name: 'mosquitto', threads: 1 });
    const broker = cap.findings.find((f) => f.kind === 'broker_cpu');
    expect(broker?.text).toMatch(
      new RegExp(`the broker \\(mosquitto, pid ${m.pid}\\) used \\d+% of a core at [\\d.]+/s`),
    );
    expect(cap.findings.length).toBeGreaterThanOrEqual(2);
    expect(cap.steps.every((s) => s.broker_cpu !== null && s.host_cpu !== null)).toBe(true);
    // the console says the same
    expect(r.stdout).toMatch(/^capacity {2}\d+(\.\d)? connects\/s/m);
    expect(r.stdout).toContain('  limited by\n');
    expect(r.stdout).toContain(broker!.text);
    expect(r.stdout).toMatch(/step {2}kind +rate\/s +achieved\/s +p50 +p99 +failed +length/);
  });

  it('report.html shows the capacity section and its charts in Chromium', async () => {
    const browser = await launchChromium();
    try {
      const opened = await openReport(browser, join(out, 'report.html'));
      expect(opened.errors).toEqual([]);
      expect(browser.leaks).toEqual([]);
      const pixels = await chartPixels(opened.page);
      for (const kind of ['capacity:latency', 'capacity:achieved']) {
        expect(pixels.find((p) => p.chart === kind)?.colored, kind).toBeGreaterThan(200);
      }
      const text = await opened.page.locator('#capacity').innerText();
      expect(text).toContain(cap.reason);
      expect(text).toContain(cap.findings[0]!.text);
      expect(await opened.page.locator('#capacity table.steps tbody tr').count()).toBe(cap.steps.length);
    } finally {
      await browser.close();
    }
  });
});
