/**
 * What TLS costs, the way the README tells users to find out: one scenario run over plain
 * TCP (mqtt://) and over mutual TLS (mqtts://) against `herd broker --tcp-port`, then
 * `herd compare` of the two summaries. The comparison has a delta for every phase both
 * runs have (tcp, connack, end to end) and the tls phase for the TLS run only; the shape
 * is asserted, not the timings (the machine is shared).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herd, readSummaryFile, spawnHerd } from '../helpers/herd.js';
import { until } from '../helpers/wait.js';
import { compareRuns, loadRuns } from '../../src/compare/compare.js';

const SCENARIO = `name: tls-cost
devices: { count: 40, id_template: "dev-{i}", key: p256, seed: 5 }
mqtt: { version: 3.1.1, keepalive: 30 }
load:
  executor: arrival-rate
  rate: 40/s
  hold: 0s
`;

describe('the cost of TLS: mqtt:// against mqtts://, compared', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-cmptcp-'));
  const pki = join(dir, 'pki');
  const scenario = join(dir, 'tls-cost.yaml');
  const broker = { stdout: '', kill: (): void => undefined, done: Promise.resolve() as Promise<unknown> };
  const ports = { tls: 0, tcp: 0 };

  beforeAll(async () => {
    writeFileSync(scenario, SCENARIO);
    for (const args of [
      ['pki', 'ca', '--out', pki],
      ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
    ]) {
      const r = await herd(args);
      expect(r.code, r.stderr).toBe(0);
    }
    const b = spawnHerd(['broker', '--pki', pki, '--tcp-port', '0']);
    b.proc.stdout!.on('data', (d: Buffer) => (broker.stdout += d.toString()));
    broker.kill = () => void b.proc.kill('SIGTERM');
    broker.done = b.done;
    await until(() => /mqtt:\/\/127\.0\.0\.1:\d+/.test(broker.stdout), 'herd broker listening on both ports');
    ports.tls = Number(/mqtts:\/\/127\.0\.0\.1:(\d+)/.exec(broker.stdout)![1]);
    ports.tcp = Number(/ mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(broker.stdout)![1]);
    for (const [name, url] of [
      ['tcp', `mqtt://127.0.0.1:${ports.tcp}`],
      ['tls', `mqtts://127.0.0.1:${ports.tls}`],
    ]) {
      const r = await herd(
        ['run', scenario, '--target', url!, '--pki', pki, '--servername', 'localhost'].concat([
          '--workers',
          '1',
          '--out',
          join(dir, name!),
          '--quiet',
        ]),
      );
      // 97: this shared machine stalled the generator; the phases are what this test is about
      expect([0, 97], r.stderr).toContain(r.code);
    }
  });
  afterAll(async () => {
    broker.kill();
    await broker.done;
  });

  it('the same devices connect over both; only the TLS run has a tls phase', () => {
    const tcp = readSummaryFile(join(dir, 'tcp'));
    const tls = readSummaryFile(join(dir, 'tls'));
    for (const s of [tcp, tls]) {
      expect(s.counts).toMatchObject({ attempted: 40, connected: 40, failed: 0 });
      expect(s.latency.tcp.count).toBe(40);
      expect(s.latency.connack.count).toBe(40);
      expect(s.latency.ws.count).toBe(0);
    }
    expect(tcp.latency.tls.count).toBe(0);
    expect(tls.latency.tls.count).toBe(40);
    expect(tcp.run.target).toBe(`mqtt://127.0.0.1:${ports.tcp}`);
  });

  it('herd compare gives a delta per shared phase and the tls phase of the TLS run alone', async () => {
    const runs = await loadRuns([join(dir, 'tcp'), join(dir, 'tls')], ['mqtt', 'mqtts']);
    const c = compareRuns(runs);
    const row = (group: string, metric: string) => c.rows.find((r) => r.group === group && r.metric === metric);
    for (const group of ['connect', 'tcp', 'connack']) {
      const r = row(group, 'p50');
      expect(r, group).toBeDefined();
      expect(
        r!.values.every((v) => v !== null && v > 0),
        group,
      ).toBe(true);
      expect(r!.deltas[0]).toBeNull();
      expect(r!.deltas[1], group).not.toBeNull();
      expect(r!.deltas[1]!.delta).toBeCloseTo(r!.values[1]! - r!.values[0]!, 6);
    }
    const tlsRow = row('tls', 'p50')!;
    expect(tlsRow.values[0]).toBeNull();
    expect(tlsRow.values[1]).toBeGreaterThan(0);
    expect(tlsRow.deltas[1]).toBeNull();
    expect(row('ws', 'p50')).toBeUndefined();
    expect(c.differences.map((d) => d.setting)).toContain('target');

    const r = await herd(['compare', join(dir, 'tcp'), join(dir, 'tls'), '--labels', 'mqtt,mqtts']);
    expect(r.code, r.stderr).toBe(0);
    for (const label of ['connect (e2e)', 'tcp', 'tls', 'connack']) expect(r.stdout).toContain(label);
  });
});
