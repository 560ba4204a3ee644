/**
 * herd run over WebSocket against `herd broker --ws-port --ws-plain-port`: devices
 * connect over wss:// (mTLS) and publish QoS 1 telemetry that the broker acknowledges (the
 * traffic flow writes through the WebSocket); a wrong path fails every attempt with
 * ws_rejected_404 in the ws phase, counted and explained in the outputs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herd, readSummaryFile, spawnHerd } from '../helpers/herd.js';
import { until } from '../helpers/wait.js';

describe('herd run over WebSocket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-ws-run-'));
  const pki = join(dir, 'pki');
  let stdout = '';
  let stop: () => void = () => undefined;
  const ports = { ws: 0, wss: 0 };

  beforeAll(async () => {
    for (const args of [
      ['pki', 'ca', '--out', pki],
      ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
    ]) {
      const r = await herd(args);
      expect(r.code, r.stderr).toBe(0);
    }
    const b = spawnHerd(['broker', '--pki', pki, '--ws-port', '0', '--ws-plain-port', '0']);
    b.proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    stop = () => void b.proc.kill('SIGTERM');
    await until(() => /ws:\/\/127/.test(stdout) && /wss:\/\/127/.test(stdout), 'herd broker listening');
    ports.wss = Number(/wss:\/\/127\.0\.0\.1:(\d+)\/mqtt/.exec(stdout)![1]);
    ports.ws = Number(/ ws:\/\/127\.0\.0\.1:(\d+)\/mqtt/.exec(stdout)![1]);
  });
  afterAll(() => stop());

  const common = ['--pki', pki, '--servername', 'localhost', '--devices', '10', '--rate', '20/s', '--workers', '1'];

  it('wss://: every device connects and its QoS 1 telemetry is acknowledged', async () => {
    const out = join(dir, 'wss');
    const r = await herd(
      ['run', '--target', `wss://127.0.0.1:${ports.wss}/mqtt`, ...common, '--hold', '4s'].concat([
        '--publish-every',
        '1s',
        '--messages',
        '3',
        '--qos',
        '1',
        '--out',
        out,
        '--quiet',
      ]),
    );
    expect([0, 97], r.stderr).toContain(r.code);
    const s = readSummaryFile(out);
    expect(s.counts).toMatchObject({ attempted: 10, connected: 10, failed: 0 });
    expect(s.latency.ws.count).toBe(10);
    expect(s.latency.tls.count).toBe(10);
    expect(s.messages?.telemetry).toMatchObject({ published: 30, acked: 30, lost: 0 });
  });

  it('a wrong path: ws/ws_rejected_404 for every attempt, with the status line and an explanation', async () => {
    const out = join(dir, 'wrong');
    const r = await herd(
      ['run', '--target', `ws://127.0.0.1:${ports.ws}/nope`, ...common, '--hold', '0s'].concat([
        '--out',
        out,
        '--quiet',
      ]),
    );
    expect(r.code, r.stderr).toBe(99);
    const s = readSummaryFile(out);
    expect(s.failures).toEqual([
      expect.objectContaining({ phase: 'ws', reason: 'ws_rejected_404', count: 10, example: 'HTTP 404 Not Found' }),
    ]);
    const report = await herd(['report', join(out, 'summary.json'), '--html', join(out, 'report.html')]);
    expect(report.code, report.stderr).toBe(0);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('No WebSocket endpoint at that path');
  });
});
