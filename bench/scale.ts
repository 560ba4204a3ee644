/**
 * bench/scale: hold 100,000 concurrent mTLS MQTT connections from this machine through one
 * `herd run` — several generator processes, several source addresses, several mosquitto
 * instances on loopback ports — and print connections held, connect rate, memory per
 * connection (generator and broker) and the time it took.
 *
 *   npm run build && node dist/bench/scale.js [--connections 100000] [--reference 5000] [--brokers 6] [--sources 8] [--rate 400] [--hold 30] [--cpu-prof DIR]
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
import { MiB, cpuMsOf, rssOf, sampler, treeCpuMs, treeRss } from './procs.js';
import { herdRunArgs } from './args.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string' },
    brokers: { type: 'string' },
    sources: { type: 'string' },
    rate: { type: 'string' },
    hold: { type: 'string' },
    reference: { type: 'string' },
    processes: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const N = Number(values.connections ?? 100_000);
const BROKERS = Number(values.brokers ?? Math.max(1, Math.ceil(N / 18_000)));
const SOURCES = Number(values.sources ?? 8);
const RATE = Number(values.rate ?? 400);
const HOLD_S = Number(values.hold ?? 30);
/** a smaller run first, same brokers and rate: the per-handshake CPU the full run is compared with */
const REF = Math.min(N, Number(values.reference ?? 5_000));
/** a directory for V8 CPU profiles of every generator process and thread (node --cpu-prof) */
const PROF = values['cpu-prof'];
const herdBin = join(import.meta.dirname, '..', 'src', 'cli', 'main.js');

interface Outcome {
  s: Summary;
  code: number | null;
  held: number;
  connectSeconds: number;
  genPeak: number;
  genIdle: number;
  brokerPeak: number;
  seconds: number;
  /** every 2 s: wall clock, the generator's tree CPU ms and the brokers' CPU ms so far */
  cpu: { at: number; gen: number; brk: number }[];
}

/** One `herd run` of `n` devices at RATE against the brokers, sampling both sides' RSS. */
async function runOnce(n: number, store: string, pki: string, brokers: Mosquitto[]): Promise<Outcome> {
  const out = mkdtempSync(join(tmpdir(), 'herd-scale-out-'));
  const rampS = n / RATE;
  const args = [
    ...herdRunArgs(brokers.map((b) => `mqtts://127.0.0.1:${b.port}`).join(','), store, join(pki, 'ca.crt'), n),
    '--executor',
    'constant-connections',
    '--connections',
    String(n),
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
    ...(values.processes ? ['--processes', values.processes] : []),
  ];
  const t0 = Date.now();
  const herd = spawn(
    process.execPath,
    [...(PROF ? ['--cpu-prof', '--cpu-prof-interval', '4000', '--cpu-prof-dir', PROF] : []), herdBin, ...args],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  // the generator's idle footprint: its processes once started, before the connections pile up
  await new Promise((r) => setTimeout(r, 3000));
  const genIdle = treeRss(herd.pid!);
  const gen = sampler(() => treeRss(herd.pid!), 500);
  const brk = sampler(() => brokers.reduce((a, b) => a + rssOf(b.pid), 0), 500);
  const cpu: Outcome['cpu'] = [];
  const cpuTimer = setInterval(
    () => cpu.push({ at: Date.now(), gen: treeCpuMs(herd.pid!), brk: brokers.reduce((a, b) => a + cpuMsOf(b.pid), 0) }),
    2000,
  );
  const code = await new Promise<number | null>((r) => herd.once('close', r));
  clearInterval(cpuTimer);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  const held = s.counts.active_peak;
  // when the last of them connected: the first second of the series where the connects add up
  let sum = 0;
  const allUpAt = s.series?.points.find((p) => (sum += p.connected) >= held)?.t;
  const connectSeconds = allUpAt ?? (Date.parse(s.run.ended) - Date.parse(s.run.started)) / 1000;
  return {
    s,
    code,
    held,
    connectSeconds,
    genPeak: gen.stop().peak,
    genIdle,
    brokerPeak: brk.stop().peak,
    seconds: (Date.now() - t0) / 1000,
    cpu,
  };
}

function report(label: string, n: number, o: Outcome, brokerIdle: number): void {
  const { s, held } = o;
  const ramp = s.generator.phases?.ramp;
  const hold = s.generator.phases?.hold;
  const bp = s.broker_process;
  console.log(`  ${label}: ${n} devices`);
  console.log(
    `    herd exit ${o.code}, verdict ${s.verdict}${s.generator.saturated ? ` (${s.generator.saturation_reasons.join('; ')})` : ''}`,
  );
  const reasons = s.failures.length ? `: ${s.failures.map((f) => `${f.reason} ${f.count}`).join(', ')}` : '';
  console.log(
    `    connections held at once: ${held} of ${n} (connected ${s.counts.connected}, failed ${s.counts.failed}${reasons})`,
  );
  console.log(
    `    connect rate: ${(held / o.connectSeconds).toFixed(0)}/s on average until all ${held} were up ` +
      `after ${o.connectSeconds.toFixed(0)} s (asked ${RATE}/s); ` +
      `connect p50 ${s.latency.connect.p50} ms, p99 ${s.latency.connect.p99} ms from the intended start; ` +
      `event-loop lag p99 ${s.generator.event_loop_lag_p99_ms} ms`,
  );
  console.log(
    `    generator: ${s.generator.processes} processes, ${s.generator.workers} workers, ` +
      `peak RSS ${(o.genPeak / MiB).toFixed(0)} MiB (idle ${(o.genIdle / MiB).toFixed(0)} MiB), ` +
      `${s.generator.kb_per_connection ?? '–'} KB per held connection (summary), ` +
      `${((o.genPeak - o.genIdle) / held / 1024).toFixed(1)} KB above idle (sampled)`,
  );
  console.log(
    `    generator CPU: ${s.generator.cpu_ms_per_handshake} ms per handshake over the run; ramp ${ramp?.cpu_ms_per_handshake ?? '–'} ms per handshake; ` +
      `hold ${hold?.cpu_ms_per_connection_second ?? '–'} ms per connection-second`,
  );
  console.log(
    `    brokers: peak RSS ${(o.brokerPeak / MiB).toFixed(0)} MiB (idle ${(brokerIdle / MiB).toFixed(0)} MiB) → ` +
      `${((o.brokerPeak - brokerIdle) / held / 1024).toFixed(1)} KB per connection` +
      (bp ? `; the first broker's process ${bp.cpu_ms} ms CPU (${bp.cores} cores)` : ''),
  );
  for (const f of s.findings) console.log(`    finding ${f.code}: ${f.message}`);
  windows(o);
  console.log(`    run took ${o.seconds.toFixed(0)} s`);
}

/**
 * The ramp in ten windows: connections held at each window's end, connects per second, and
 * the CPU each side spent per connect in it (the generator's whole process tree; the brokers).
 * A cost that grows with the number held shows as a rising ms per connect.
 */
function windows(o: Outcome): void {
  const points = o.s.series?.points ?? [];
  const start = Date.parse(o.s.run.started);
  const end = start + o.connectSeconds * 1000;
  const samples = o.cpu.filter((c) => c.at <= end + 2000);
  if (samples.length < 11) return;
  console.log(
    '    ramp window: held at its end, connects/s, generator ms CPU per connect (cores), brokers ms per connect (cores)',
  );
  const step = (samples.length - 1) / 10;
  for (let w = 0; w < 10; w++) {
    const a = samples[Math.round(w * step)]!;
    const b = samples[Math.round((w + 1) * step)]!;
    const [t0, t1] = [(a.at - start) / 1000, (b.at - start) / 1000];
    const inWindow = points.filter((p) => p.t > t0 && p.t <= t1);
    const connects = inWindow.reduce((n, p) => n + p.connected, 0);
    const held = inWindow.at(-1)?.active ?? 0;
    const secs = (b.at - a.at) / 1000;
    const per = (ms: number): string => (connects ? (ms / connects).toFixed(2) : '–');
    console.log(
      `      ${t0.toFixed(0).padStart(4)}–${t1.toFixed(0).padEnd(4)} s  held ${String(held).padStart(6)}  ${(connects / secs).toFixed(0).padStart(4)}/s  ` +
        `generator ${per(b.gen - a.gen)} ms (${((b.gen - a.gen) / 1000 / secs).toFixed(2)})  ` +
        `brokers ${per(b.brk - a.brk)} ms (${((b.brk - a.brk) / 1000 / secs).toFixed(2)})`,
    );
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'herd-scale-'));
  const pki = join(dir, 'pki');
  await createCa({ out: pki });
  await issueServer({ ca: pki, out: pki, dns: ['localhost'], ip: ['127.0.0.1'] });
  const store = join(dir, 'devices.store');
  const mint = await mintStore({ caDir: pki, out: store, count: N, seed: 'scale' });
  console.log(
    `bench/scale: ${N} connections (reference ${REF || 'none'}), ${BROKERS} mosquitto instances, ` +
      `${SOURCES} source addresses, ${RATE}/s, held ${HOLD_S}s after the last connect`,
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
    let ref: Outcome | undefined;
    if (REF > 0) {
      // the same set-up at a small count: what a handshake costs when few others are open
      ref = await runOnce(REF, store, pki, brokers);
      report('reference', REF, ref, brokerIdle);
      // let the brokers drop the reference's connections before the full run counts their memory
      await new Promise((r) => setTimeout(r, 5000));
    }
    const full = await runOnce(N, store, pki, brokers);
    report('full', N, full, brokerIdle);
    const a = ref?.s.generator.phases?.ramp?.cpu_ms_per_handshake;
    const b = full.s.generator.phases?.ramp?.cpu_ms_per_handshake;
    if (a && b) {
      console.log(
        `  ramp CPU per handshake at ${N} ÷ at ${REF}: ${b} ÷ ${a} = ×${(b / a).toFixed(3)} (target ≤ 1.2); ` +
          `whole run ×${(full.s.generator.cpu_ms_per_handshake / ref!.s.generator.cpu_ms_per_handshake).toFixed(3)}`,
      );
    }
    console.log(`  took ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  } finally {
    for (const b of brokers) await b.stop();
  }
}

await main();
