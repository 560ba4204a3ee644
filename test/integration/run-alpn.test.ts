/**
 * ALPN end to end, as a user meets it on AWS IoT Core's port 443: `herd broker --alpn
 * x-amzn-mqtt-ca`, then `herd run` offering another protocol (every attempt fails with
 * tls_alert_no_application_protocol, exit 99) and offering that one (all connect, over
 * mqtts:// and wss://); the broker reports on exit which protocol it selected, how often.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herd, readSummaryFile, spawnHerd, type HerdResult } from '../helpers/herd.js';
import { until } from '../helpers/wait.js';

describe('herd run --alpn against herd broker --alpn', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-alpn-run-'));
  const pki = join(dir, 'pki');
  let stdout = '';
  let stop: () => void = () => undefined;
  let done: Promise<HerdResult>;
  const ports = { tls: 0, wss: 0 };

  beforeAll(async () => {
    for (const args of [
      ['pki', 'ca', '--out', pki],
      ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
    ]) {
      const r = await herd(args);
      expect(r.code, r.stderr).toBe(0);
    }
    const b = spawnHerd(['broker', '--pki', pki, '--ws-port', '0', '--alpn', 'x-amzn-mqtt-ca']);
    b.proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    stop = () => void b.proc.kill('SIGTERM');
    done = b.done;
    await until(() => /wss:\/\//.test(stdout), 'herd broker listening');
    expect(stdout).toContain('ALPN x-amzn-mqtt-ca');
    ports.tls = Number(/mqtts:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
    ports.wss = Number(/wss:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
  });
  afterAll(() => stop());

  const run = (target: string, alpn: string, out: string): Promise<HerdResult> =>
    herd(
      ['run', '--target', target, '--pki', pki, '--servername', 'localhost', '--alpn', alpn].concat([
        '--devices',
        '10',
        '--rate',
        '20/s',
        '--hold',
        '0s',
        '--workers',
        '1',
        '--out',
        join(dir, out),
        '--quiet',
      ]),
    );

  it('offering another protocol: every attempt is tls_alert_no_application_protocol', async () => {
    const r = await run(`mqtts://127.0.0.1:${ports.tls}`, 'mqtt', 'other');
    expect(r.code, r.stderr).toBe(99);
    const s = readSummaryFile(join(dir, 'other'));
    expect(s.counts).toMatchObject({ attempted: 10, connected: 0, failed: 10 });
    expect(s.failures).toEqual([
      expect.objectContaining({ phase: 'tls', reason: 'tls_alert_no_application_protocol', count: 10 }),
    ]);
  });

  it('offering it: all connect, over mqtts and wss, and the broker says it selected it', async () => {
    for (const [target, out] of [
      [`mqtts://127.0.0.1:${ports.tls}`, 'tls'],
      [`wss://127.0.0.1:${ports.wss}/mqtt`, 'wss'],
    ] as const) {
      const r = await run(target, 'mqtt,x-amzn-mqtt-ca', out);
      expect([0, 97], r.stderr).toContain(r.code);
      expect(readSummaryFile(join(dir, out)).counts).toMatchObject({ attempted: 10, connected: 10 });
    }
    stop();
    const b = await done;
    expect(b.stderr).toMatch(/by ALPN protocol: x-amzn-mqtt-ca 20\b/);
    expect(b.stderr).toMatch(/by server name: localhost 20\b/);
  });
});
