import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, herdPki, spawnHerd, readSummaryFile } from '../helpers/herd.js';
import { clientsConnected, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-scale-'));

/** Source addresses of the clients a mosquitto saw connect, from its log. */
function clients(log: string): { sources: Set<string>; count: number } {
  const lines = [...log.matchAll(/New client connected from ([\d.]+):\d+ as (dev-\d+)/g)];
  return { sources: new Set(lines.map((m) => m[1]!)), count: lines.length };
}

describe('scaling out: generator processes, source addresses, several targets', () => {
  it('spreads devices over two brokers from two generator processes and three source addresses', async () => {
    const dir = tmp();
    const pki = join(dir, 'pki');
    const conf = await herdPki(pki);
    const a = await startMosquitto(conf);
    const b = await startMosquitto(conf);
    try {
      const out = tmp();
      const r = await herd([
        'run',
        '--target',
        `mqtts://127.0.0.1:${a.port},mqtts://127.0.0.1:${b.port}`,
        '--pki',
        pki,
        '--servername',
        'localhost',
        '--devices',
        '600',
        '--rate',
        '400/s',
        '--hold',
        '1s',
        '--processes',
        '2',
        '--workers',
        '2',
        '--source-ips',
        '127.0.0.2-127.0.0.4',
        '--out',
        out,
        '--quiet',
      ]);
      expect([0, 97], r.stderr).toContain(r.code);
      const s = readSummaryFile(out);
      expect(s.counts.connected).toBe(600);
      expect(s.generator.processes).toBe(2);
      const ca = clients(a.log());
      const cb = clients(b.log());
      // round robin over (target, source) routes: each broker gets half, from every source address
      expect(ca.count).toBe(300);
      expect(cb.count).toBe(300);
      expect([...ca.sources].sort()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
      expect([...cb.sources].sort()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);

      // Ctrl-C from a terminal reaches the whole process group, generator processes included:
      // the coordinator still stops them cleanly and writes the summary
      const out2 = tmp();
      const from = [a.log().length, b.log().length] as const;
      const run = spawnHerd(
        [
          'run',
          '--target',
          `mqtts://localhost:${a.port}`,
          '--pki',
          pki,
          '--devices',
          '3000',
          '--rate',
          '200/s',
          '--hold',
          '60s',
          '--processes',
          '2',
          '--workers',
          '2',
          '--out',
          out2,
          '--quiet',
        ],
        {},
        true,
      );
      const connected = (): number => clientsConnected(a, from[0]) + clientsConnected(b, from[1]);
      // well past the 50 asserted below: herd counts a connection only once its CONNACK is in
      await until(() => connected() >= 100, '100 devices to connect');
      process.kill(-run.proc.pid!, 'SIGINT');
      const c = await run.done;
      expect(c.code, c.stderr).toBe(97);
      const s2 = readSummaryFile(out2);
      expect(s2.run.interrupted).toBe(true);
      expect(s2.generator.processes).toBe(2);
      expect(s2.counts.connected).toBeGreaterThan(50);
      // the target was given by name: resolved once, and the name is the TLS server name (no --servername)
      expect(s2.counts.failed).toBe(0);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('refuses up front a plan that cannot fit, saying what to change (exit 2, nothing started)', async () => {
    // at 1,000 connects/s held 60 s, every device may be up at once: 30,000 connections
    const embedded = await herd(['run', '--devices', '30000', '--rate', '1000/s', '--hold', '60s']);
    expect(embedded.code).toBe(2);
    expect(embedded.stderr).toMatch(
      /embedded broker is one process and can hold \d+ connections .* use an external broker/,
    );
    const tooFew = await herd([
      'run',
      '--target',
      'mqtts://127.0.0.1:1',
      '--pki',
      '/nonexistent',
      '--devices',
      '30000',
      '--rate',
      '1000/s',
      '--hold',
      '60s',
      '--processes',
      '1',
    ]);
    expect(tooFew.code).toBe(2);
    expect(tooFew.stderr).toMatch(/need at least 2 generator processes/);
    const ports = await herd([
      'run',
      '--target',
      'mqtts://127.0.0.1:1',
      '--pki',
      '/nonexistent',
      '--devices',
      '40000',
      '--rate',
      '1000/s',
      '--hold',
      '60s',
    ]);
    expect(ports.code).toBe(2);
    expect(ports.stderr).toMatch(/--source-ips/);
  });
});
