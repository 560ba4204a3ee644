/**
 * bench/handshake: client CPU per full mTLS handshake (to CONNACK) and connects/s of
 * `herd run` next to a baseline of raw tls.connect + hand-encoded CONNECT (bench/raw-client),
 * same devices, same concurrency, against one Debian mosquitto, in one invocation; then
 * memory per held connection at 10,000 held (generator and broker).
 *
 *   npm run build && node dist/bench/handshake.js [--devices 4000] [--reps 3] [--held 10000] [--transports-only]
 *
 * Then the same per transport (mqtt://, mqtts://, wss://) and per device key type against
 * `herd broker` (bench/transports.ts); --transports-only runs only that part.
 *
 * CPU is what the whole process used (start-up, store, contexts, handshakes), read with
 * bash's `times` for each child. The machine is shared and noisy: runs alternate, medians.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCa, issueServer, mintStore } from '../src/pki/index.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import type { Summary } from '../src/model/summary.js';
import { transportsBench } from './transports.js';
import { herdRunArgs } from './args.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string' },
    reps: { type: 'string' },
    held: { type: 'string' },
    concurrency: { type: 'string' },
    'transports-only': { type: 'boolean' },
  },
});
const N = Number(values.devices ?? 4000);
const REPS = Number(values.reps ?? 3);
const HELD = Number(values.held ?? 10000);
const CONC = Number(values.concurrency ?? 50);
const root = join(import.meta.dirname, '..');
const herdBin = join(root, 'src', 'cli', 'main.js');
const rawBin = join(root, 'bench', 'raw-client.js');
const mqttjsBin = join(root, 'bench', 'mqttjs-client.js');

/** Runs a command under bash and returns the children's CPU (user+sys, ms) from `times`. */
function cpuOf(cmd: string[]): { cpuMs: number; stdout: string } {
  const quoted = cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = execFileSync('bash', ['-c', `${quoted}; times`], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = out.trim().split('\n');
  const t = lines.at(-1)!.match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
  if (!t) throw new Error(`cannot read times: ${out}`);
  const cpuMs = (Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4])) * 1000;
  return { cpuMs, stdout: lines.slice(0, -2).join('\n') };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function peakRss(args: string[]): Promise<{ peak: number; summary: Summary }> {
  const out = mkdtempSync(join(tmpdir(), 'herd-bench-out-'));
  const p = spawn(process.execPath, [herdBin, ...args, '--out', out, '--quiet'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  const t = setInterval(() => {
    try {
      const m = readFileSync(`/proc/${p.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      /* exited */
    }
  }, 100);
  await new Promise((r) => p.once('close', r));
  clearInterval(t);
  return { peak, summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary };
}

function rssOf(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : 0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herd-bench-'));
  const pki = join(dir, 'pki');
  await createCa({ out: pki });
  await issueServer({ ca: pki, out: pki, dns: ['localhost'], ip: ['127.0.0.1'] });
  const store = join(dir, 'devices.store');
  await mintStore({ caDir: pki, out: store, count: Math.max(N, HELD), seed: 'bench' });
  const m = await startMosquitto({
    cafile: join(pki, 'ca.crt'),
    certfile: join(pki, 'server.crt'),
    keyfile: join(pki, 'server.key'),
  });
  const target = `mqtts://127.0.0.1:${m.port}`;
  const caFile = join(pki, 'ca.crt');
  console.log(
    `bench/handshake: ${N} full mTLS handshakes to CONNACK, ${CONC} in flight, mosquitto ${target}, ${REPS} reps`,
  );
  const rows: {
    baseCpu: number;
    herdCpu: number;
    baseRate: number;
    herdRate: number;
    mqttjsCpu: number;
    mqttjsRate: number;
  }[] = [];
  try {
    for (let rep = 0; rep < REPS; rep++) {
      const base = cpuOf([
        process.execPath,
        rawBin,
        String(m.port),
        store,
        String(N),
        String(CONC),
        'localhost',
        caFile,
      ]);
      const b = JSON.parse(base.stdout.trim().split('\n').at(-1)!) as {
        connected: number;
        failed: number;
        wallMs: number;
      };
      const mj = cpuOf([
        process.execPath,
        mqttjsBin,
        String(m.port),
        store,
        String(N),
        String(CONC),
        'localhost',
        caFile,
      ]);
      const j = JSON.parse(mj.stdout.trim().split('\n').at(-1)!) as {
        connected: number;
        failed: number;
        wallMs: number;
      };
      const out = mkdtempSync(join(tmpdir(), 'herd-bench-out-'));
      const h = cpuOf([
        process.execPath,
        herdBin,
        ...herdRunArgs(target, store, caFile, N),
        '--rate',
        'max',
        '--in-flight',
        String(CONC),
        '--hold',
        '0s',
        '--workers',
        '1',
        '--out',
        out,
        '--quiet',
      ]);
      const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
      const herdWall = Date.parse(s.run.ended) - Date.parse(s.run.started);
      if (b.connected !== N || s.counts.connected !== N || j.connected !== N)
        throw new Error(
          `not every handshake succeeded: baseline ${b.connected}, MQTT.js ${j.connected}, herd ${s.counts.connected}`,
        );
      const row = {
        baseCpu: base.cpuMs / N,
        herdCpu: h.cpuMs / N,
        baseRate: (N / b.wallMs) * 1000,
        herdRate: (N / herdWall) * 1000,
        mqttjsCpu: mj.cpuMs / N,
        mqttjsRate: (N / j.wallMs) * 1000,
      };
      rows.push(row);
      console.log(
        `  rep ${rep + 1}: cpu/handshake baseline ${row.baseCpu.toFixed(3)} ms, ` +
          `herd ${row.herdCpu.toFixed(3)} ms (×${(row.herdCpu / row.baseCpu).toFixed(3)}); ` +
          `connects/s baseline ${row.baseRate.toFixed(0)}, herd ${row.herdRate.toFixed(0)} (×${(row.herdRate / row.baseRate).toFixed(3)}); ` +
          `MQTT.js ${row.mqttjsCpu.toFixed(3)} ms (×${(row.mqttjsCpu / row.baseCpu).toFixed(3)}), ${row.mqttjsRate.toFixed(0)}/s`,
      );
    }
    const cpuRatio = median(rows.map((r) => r.herdCpu / r.baseCpu));
    const rateRatio = median(rows.map((r) => r.herdRate / r.baseRate));
    console.log(
      `median: cpu/handshake baseline ${median(rows.map((r) => r.baseCpu)).toFixed(3)} ms, ` +
        `herd ${median(rows.map((r) => r.herdCpu)).toFixed(3)} ms, ratio ×${cpuRatio.toFixed(3)} (target ≤ 1.0)`,
    );
    console.log(
      `median: MQTT.js (same contexts, reconnectPeriod 0) cpu/handshake ${median(rows.map((r) => r.mqttjsCpu)).toFixed(3)} ms, ` +
        `ratio ×${median(rows.map((r) => r.mqttjsCpu / r.baseCpu)).toFixed(3)}; ` +
        `connects/s ×${median(rows.map((r) => r.mqttjsRate / r.baseRate)).toFixed(3)}`,
    );
    console.log(
      `median: connects/s baseline ${median(rows.map((r) => r.baseRate)).toFixed(0)}, ` +
        `herd ${median(rows.map((r) => r.herdRate)).toFixed(0)}, ratio ×${rateRatio.toFixed(3)} (target ≥ 0.9)`,
    );

    if (HELD > 0) {
      const common = [...herdRunArgs(target, store, caFile, HELD), '--rate', '1000/s', '--in-flight', '100'];
      const idle = await peakRss([...common, '--hold', '0s']);
      const brokerBefore = rssOf(m.pid);
      const heldRun = peakRss([...common, '--hold', '8s', '--keepalive', '30s']);
      // sample the broker while everything is held
      let brokerPeak = 0;
      const t = setInterval(() => (brokerPeak = Math.max(brokerPeak, rssOf(m.pid))), 100);
      const held = await heldRun;
      clearInterval(t);
      const n = held.summary.counts.active_peak;
      console.log(
        `memory at ${n} held (of ${HELD}): herd peak RSS ${(held.peak / 2 ** 20).toFixed(0)} MiB ` +
          `vs ${(idle.peak / 2 ** 20).toFixed(0)} MiB with nothing held → ` +
          `${((held.peak - idle.peak) / n / 1024).toFixed(1)} KB per held connection (target ≤ 90); ` +
          `mosquitto ${((brokerPeak - brokerBefore) / n / 1024).toFixed(1)} KB per connection`,
      );
    }
  } finally {
    await m.stop();
  }
}

if (values['transports-only'] !== true) await main();
await transportsBench({ devices: N, reps: REPS, concurrency: CONC });
