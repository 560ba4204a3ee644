import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnHerd, herdPki, readSummaryFile, failureCount } from '../helpers/herd.js';
import { clientsConnected, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/net.js';
import { scrapeSum } from '../helpers/prometheus.js';
import { until } from '../helpers/wait.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-recov-'));
/** A pause that is part of the scenario (a broker down for a while), never a wait for something. */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** herd's timestamps (performance.timeOrigin-based) and Date.now() may drift apart a little. */
const CLOCK_DRIFT_MS = 50;

/** Two distinct ports that were free a moment ago. */
async function twoPorts(): Promise<[number, number]> {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  return [a, b];
}

/** Runs that outlive a broker: it comes up late, or is restarted by someone else mid-run. */
describe('recovering from an external broker going away', () => {
  const dir = tmp();
  const pki = join(dir, 'pki');
  let conf: Awaited<ReturnType<typeof herdPki>>;
  beforeAll(async () => {
    conf = await herdPki(pki);
  });

  it('constant-connections keeps trying: a broker that comes up late still gets every connection', async () => {
    const [port, metrics] = await twoPorts();
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
      '--metrics-port',
      String(metrics),
      '--out',
      out,
      '--quiet',
    ]);
    // the first attempts are refused: nothing listens yet
    const refused = (): Promise<number> =>
      scrapeSum(`http://127.0.0.1:${metrics}/metrics`, 'herd_connect_failures_total', { reason: 'tcp_refused' });
    await until(async () => (await refused()) > 0, 'herd to be refused');
    const m: Mosquitto = await startMosquitto({ ...conf, port });
    try {
      const r = await run.done;
      // the refused first attempts are failed connects: the default gate on them fails the run
      expect([99, 97], r.stderr).toContain(r.code);
      const s = readSummaryFile(out);
      expect(s.thresholds.find((t) => t.metric === 'connect_failures')).toMatchObject({ default: true, ok: false });
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
      await until(() => clientsConnected(m) >= 100, 'the first wave to connect');
      // herd starts waiting for the drop 1 s after the first wave settles, and says so nowhere:
      // give it that and more (its clock must start at the drop, not when it began to wait)
      await sleep(3000);
      const stopping = Date.now();
      await m.stop();
      await sleep(800);
      const restarting = Date.now();
      m = await startMosquitto({ ...conf, port });
      const r = await run.done;
      expect(r.stderr).not.toMatch(/internal error/);
      const s = readSummaryFile(out);
      expect(s.recovery).toMatchObject({ drop: 'broker-restart', dropped: 100, recovered: 100 });
      // timed from when the connections dropped, not from when herd started waiting
      const droppedAt = Date.parse(s.recovery!.dropped_at!);
      expect(droppedAt).toBeGreaterThanOrEqual(stopping - CLOCK_DRIFT_MS);
      // and nobody is back before the broker is
      expect(droppedAt + s.recovery!.t100_ms!).toBeGreaterThanOrEqual(restarting - CLOCK_DRIFT_MS);
    } finally {
      await m.stop();
    }
  });

  it('a storm whose broker someone restarts mid-ramp: refused first attempts retry with backoff, every device comes back', async () => {
    const port = await freePort();
    let m = await startMosquitto({ ...conf, port });
    const f = join(dir, 'early-storm.yaml');
    writeFileSync(
      f,
      [
        'name: early-storm',
        'devices: { count: 300, seed: 4 }',
        'load: { executor: reconnect-storm, rate: 100/s, drop: broker-restart, backoff: { initial: 300ms, max: 1s }, duration: 500ms }',
        '',
      ].join('\n'),
    );
    const out = tmp();
    const run = spawnHerd(['run', f, '--target', `mqtts://localhost:${port}`, '--pki', pki, '--out', out, '--quiet']);
    try {
      // the ramp takes 3 s; the broker goes away once a third of it is connected, and comes back later
      await until(() => clientsConnected(m) >= 100, 'a third of the first wave');
      await m.stop();
      await sleep(700);
      m = await startMosquitto({ ...conf, port });
      const r = await run.done;
      const s = readSummaryFile(out);
      // refused while it was down: failures, each retried; dropped sessions came back too
      expect(failureCount(s, 'tcp_refused')).toBeGreaterThan(0);
      expect(s.recovery).toMatchObject({ drop: 'broker-restart', not_back: 0 });
      expect(s.recovery!.dropped).toBeGreaterThanOrEqual(100);
      expect(s.recovery!.recovered).toBe(s.recovery!.dropped);
      // every device of the fleet ended up connected: the storm's own gate (every device back) held
      expect(s.thresholds.find((t) => t.metric === 'recovery_duration')).toMatchObject({ default: true, ok: true });
      expect([0, 97], r.stderr).toContain(r.code);
    } finally {
      await m.stop();
    }
  });

  it('--reconnect under arrival-rate: sessions the broker drops come back with backoff, and the summary says how', async () => {
    const port = await freePort();
    let m = await startMosquitto({ ...conf, port });
    const out = tmp();
    const run = spawnHerd([
      'run',
      '--target',
      `mqtts://localhost:${port}`,
      '--pki',
      pki,
      '--devices',
      '50',
      '--rate',
      '200/s',
      '--hold',
      '3s',
      '--reconnect',
      '--out',
      out,
      '--quiet',
    ]);
    try {
      await until(() => clientsConnected(m) >= 50, 'every device to connect');
      await m.stop();
      await sleep(500);
      m = await startMosquitto({ ...conf, port });
      const r = await run.done;
      const s = readSummaryFile(out);
      expect(s.counts.session_drops).toBe(50);
      expect(s.recovery).toMatchObject({ drop: 'reconnect', dropped: 50, recovered: 50, not_back: 0 });
      // each came back to hold its full hold again: 50 + 50 established
      expect(s.counts.connected).toBe(100);
      expect(r.stdout).toMatch(/recovery\s+reconnect at/);
    } finally {
      await m.stop();
    }
  });
});
