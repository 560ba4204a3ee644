/**
 * bench/scale: hold 100,000 concurrent mTLS MQTT connections from this machine through one
 * `herd run` — several generator processes, several source addresses, several mosquitto
 * instances on loopback ports — and print connections held, connect rate, memory per
 * connection (generator and broker) and the time it took.
 *
 *   npm run build && node dist/bench/scale.js [--connections 100000] [--brokers 6] [--sources 8] [--rate 400]
 *
 * Needs about 12 GiB of memory at 100,000. Run it alone: it loads both cores for minutes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCa, issueServer, mintStore } from '../src/pki/index.js';
import { startMosquitto, type Mosquitto } from '../test/helpers/mosquitto.js';
import type { Summary } from '../src/model/summary.js';
import { MiB, rssOf, sampler, treeRss } from './procs.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string' },
    brokers: { type: 'string' },
    sources: { type: 'string' },
    rate: { type: 'string' },
    hold: { type: 'string' },
  },
});
const N = Number(values.connections ?? 100_000);
const BROKERS = Number(values.brokers ?? Math.max(1, Math.ceil(N / 18_000)));
const SOURCES = Number(values.sources ?? 8);
const RATE = Number(values.rate ?? 400);
const HOLD_S = Number(values.hold ?? 30);
const herdBin = join(import.meta.dirname, '..', 'src', 'cli', 'main.js');

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'herd-scale-'));
  const pki = join(dir, 'pki');
  await createCa({ out: pki });
  await issueServer({ ca: pki, out: pki, dns: ['localhost'], ip: ['127.0.0.1'] });
  const store = join(dir, 'devices.store');
  const mint = await mintStore({ caDir: pki, out: store, count: N, seed: 'scale' });
  console.log(
    `bench/scale: ${N} connections, ${BROKERS} mosquitto instances, ${SOURCES} source addresses, ${RATE}/s, held ${HOLD_S}s after the last connect`,
  );
  console.log(`  minted ${N} devices in ${mint.seconds.toFixed(1)} s (${Math.round(mint.perSecond)}/s)`);
  const brokers: Mosquitto[] = [];
  try {
    for (let i = 0; i < BROKERS; i++) {
      brokers.push(
        await startMosquitto({
          cafile: join(pki, 'ca.crt'),
          certfile: join(pki, 'server.crt'),
          keyfile: join(pki, 'server.key'),
          extra: ['log_type none'],
        }),
      );
    }
    const brokerIdle = brokers.reduce((a, b) => a + rssOf(b.pid), 0);
    const out = mkdtempSync(join(tmpdir(), 'herd-scale-out-'));
    const rampS = N / RATE;
    const args = [
      'run',
      '--target',
      brokers.map((b) => `mqtts://127.0.0.1:${b.port}`).join(','),
      '--store',
      store,
      '--server-ca',
      join(pki, 'ca.crt'),
      '--servername',
      'localhost',
      '--devices',
      String(N),
      '--executor',
      'constant-connections',
      '--connections',
      String(N),
      '--rate',
      `${RATE}/s`,
      '--duration',
      `${Math.ceil(rampS + HOLD_S)}s`,
      '--keepalive',
      '120s',
      '--source-ips',
      `127.0.0.2-127.0.0.${1 + SOURCES}`,
      '--out',
      out,
    ];
    const t0 = Date.now();
    const herd = spawn(process.execPath, [herdBin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    // the generator's idle footprint: its processes once started, before the connections pile up
    await new Promise((r) => setTimeout(r, 3000));
    const herdIdle = treeRss(herd.pid!);
    const gen = sampler(() => treeRss(herd.pid!), 500);
    const brk = sampler(() => brokers.reduce((a, b) => a + rssOf(b.pid), 0), 500);
    const code = await new Promise<number | null>((r) => herd.once('close', r));
    const g = gen.stop();
    const b = brk.stop();
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    const held = s.counts.active_peak;
    // when the last of them connected: the first second of the series where the connects add up
    let sum = 0;
    const allUpAt = s.series?.points.find((p) => (sum += p.connected) >= held)?.t;
    const connectSeconds = allUpAt ?? (Date.parse(s.run.ended) - Date.parse(s.run.started)) / 1000;
    console.log(
      `  herd exit ${code}, verdict ${s.verdict}${s.generator.saturated ? ` (${s.generator.saturation_reasons.join('; ')})` : ''}`,
    );
    const reasons = s.failures.length ? `: ${s.failures.map((f) => `${f.reason} ${f.count}`).join(', ')}` : '';
    console.log(
      `  connections held at once: ${held} of ${N} (connected ${s.counts.connected}, failed ${s.counts.failed}${reasons})`,
    );
    console.log(
      `  connect rate: ${(held / connectSeconds).toFixed(0)}/s on average until all ${held} were up after ${connectSeconds.toFixed(0)} s (asked ${RATE}/s); ` +
        `connect p50 ${s.latency.connect.p50} ms, p99 ${s.latency.connect.p99} ms from the intended start; ` +
        `generator event-loop lag p99 ${s.generator.event_loop_lag_p99_ms} ms`,
    );
    console.log(
      `  generator: ${s.generator.processes} processes, ${s.generator.workers} workers, ` +
        `peak RSS ${(g.peak / MiB).toFixed(0)} MiB (idle ${(herdIdle / MiB).toFixed(0)} MiB) → ` +
        `${((g.peak - herdIdle) / held / 1024).toFixed(1)} KB per held connection; ${s.generator.cpu_ms_per_handshake} ms CPU per handshake`,
    );
    console.log(
      `  brokers: peak RSS ${(b.peak / MiB).toFixed(0)} MiB (idle ${(brokerIdle / MiB).toFixed(0)} MiB) → ` +
        `${((b.peak - brokerIdle) / held / 1024).toFixed(1)} KB per connection`,
    );
    console.log(
      `  took ${((Date.now() - started) / 1000).toFixed(0)} s in all (${((Date.now() - t0) / 1000).toFixed(0)} s for the run)`,
    );
  } finally {
    for (const b of brokers) await b.stop();
  }
}

await main();
