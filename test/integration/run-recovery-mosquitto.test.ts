import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnHerd, herdPki, readSummaryFile, failureCount } from '../helpers/herd.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/net.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-recov-'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs that outlive a broker: it comes up late, or is restarted by someone else mid-run. */
describe('recovering from an external broker going away', () => {
  const dir = tmp();
  const pki = join(dir, 'pki');
  let conf: Awaited<ReturnType<typeof herdPki>>;
  beforeAll(async () => {
    conf = await herdPki(pki);
  });

  it('constant-connections keeps trying: a broker that comes up late still gets every connection', async () => {
    const port = await freePort();
    const out = tmp();
    const run = spawnHerd([
      'run',
      '--target',
      `mqtts://localhost:${port}`,
      '--pki',
      pki,
      '--executor',
      'constant-connections',
      '--devices',
      '40',
      '--connections',
      '40',
      '--rate',
      '100/s',
      '--duration',
      '6s',
      '--out',
      out,
      '--quiet',
    ]);
    await sleep(2500); // minting and the first wave: all refused
    const m: Mosquitto = await startMosquitto({ ...conf, port });
    try {
      const r = await run.done;
      expect([0, 97], r.stderr).toContain(r.code);
      const s = readSummaryFile(out);
      expect(failureCount(s, 'tcp_refused')).toBeGreaterThan(0);
      expect(s.counts.active_peak).toBe(40);
    } finally {
      await m.stop();
    }
  });

  it('reconnect-storm against a broker restarted by someone else: timed from the first drop, every device back', async () => {
    const port = await freePort();
    let m = await startMosquitto({ ...conf, port });
    const f = join(dir, 'external-storm.yaml');
    writeFileSync(
      f,
      [
        'name: external-storm',
        'devices: { count: 100, seed: 3 }',
        'load: { executor: reconnect-storm, rate: 200/s, drop: broker-restart, backoff: { initial: 500ms, max: 2s }, duration: 500ms }',
        '',
      ].join('\n'),
    );
    const out = tmp();
    const run = spawnHerd(['run', f, '--target', `mqtts://localhost:${port}`, '--pki', pki, '--out', out, '--quiet']);
    try {
      await sleep(5000); // minting, the first wave, and herd waiting for the drop
      await m.stop();
      const stoppedAt = Date.now();
      await sleep(800);
      m = await startMosquitto({ ...conf, port });
      const r = await run.done;
      expect(r.stderr).not.toMatch(/internal error/);
      const s = readSummaryFile(out);
      expect(s.recovery).toMatchObject({ drop: 'broker-restart', dropped: 100, recovered: 100 });
      // timed from when the connections dropped, not from when herd started waiting
      expect(Math.abs(Date.parse(s.recovery!.dropped_at!) - stoppedAt)).toBeLessThan(1000);
      expect(s.recovery!.t100_ms!).toBeGreaterThan(700);
      expect(s.recovery!.t100_ms!).toBeLessThan(15_000);
    } finally {
      await m.stop();
    }
  });
});
