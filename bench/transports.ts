/**
 * bench/handshake, per transport and per key type: client CPU per connect (to CONNACK) and
 * connects/s of `herd run` over mqtt:// (TCP), mqtts:// (TLS) and wss:// (WebSocket over
 * mTLS), and over mqtts:// with P-256, P-384, Ed25519 and RSA-2048 device keys, each as a
 * ratio against the raw baseline (bench/raw-client: raw tls.connect + hand-encoded CONNECT,
 * P-256 devices) measured in the same invocation against the same broker: `herd broker`
 * (the embedded one, in a process of its own) listening on TCP, TLS and WSS, because
 * Debian mosquitto's WebSocket listener does not start on every machine.
 *
 *   npm run build && node dist/bench/handshake.js --transports-only [--devices 2000] [--reps 3]
 *
 * CPU is what the whole client process used (bash `times`); runs alternate, medians.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueServer, mintStore } from '../src/pki/index.js';
import type { Summary } from '../src/model/summary.js';
import { herdRunArgs } from './args.js';

export interface TransportBenchOptions {
  devices: number;
  reps: number;
  concurrency: number;
}

const root = join(import.meta.dirname, '..');
const herdBin = join(root, 'src', 'cli', 'main.js');
const rawBin = join(root, 'bench', 'raw-client.js');
const KEYS = ['p256', 'p384', 'ed25519', 'rsa2048'] as const;

function cpuOf(cmd: string[]): { cpuMs: number; stdout: string } {
  const quoted = cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = execFileSync('bash', ['-c', `${quoted}; times`], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = out.trim().split('\n');
  const t = lines.at(-1)!.match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
  if (!t) throw new Error(`cannot read times: ${out}`);
  return {
    cpuMs: (Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4])) * 1000,
    stdout: lines.slice(0, -2).join('\n'),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `herd broker` with a TCP and a WSS listener besides TLS; resolves its three ports. */
async function startHerdBroker(pki: string): Promise<{ tls: number; tcp: number; wss: number; stop: () => void }> {
  const p = spawn(process.execPath, [herdBin, 'broker', '--pki', pki, '--tcp-port', '0', '--ws-port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/wss:\/\//.test(out)) resolve();
    });
    p.once('exit', (code) => reject(new Error(`herd broker exited (${code}): ${out}`)));
  });
  const port = (re: RegExp): number => Number(re.exec(out)![1]);
  return {
    tls: port(/mqtts:\/\/127\.0\.0\.1:(\d+)/),
    tcp: port(/ mqtt:\/\/127\.0\.0\.1:(\d+)/),
    wss: port(/wss:\/\/127\.0\.0\.1:(\d+)/),
    stop: () => void p.kill('SIGTERM'),
  };
}

function herdRun(target: string, store: string, ca: string, o: TransportBenchOptions): { cpu: number; rate: number } {
  const out = mkdtempSync(join(tmpdir(), 'herd-bench-out-'));
  const h = cpuOf([
    process.execPath,
    herdBin,
    ...herdRunArgs(target, store, ca, o.devices),
    '--rate',
    'max',
    '--in-flight',
    String(o.concurrency),
    '--hold',
    '0s',
    '--workers',
    '1',
    '--out',
    out,
    '--quiet',
  ]);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  if (s.counts.connected !== o.devices)
    throw new Error(`${target}: ${s.counts.connected} of ${o.devices} connected (${JSON.stringify(s.failures)})`);
  return { cpu: h.cpuMs / o.devices, rate: (o.devices / (Date.parse(s.run.ended) - Date.parse(s.run.started))) * 1000 };
}

function rawRun(port: number, store: string, ca: string, o: TransportBenchOptions): { cpu: number; rate: number } {
  const r = cpuOf(
    [process.execPath, rawBin, String(port), store, String(o.devices), String(o.concurrency)].concat(['localhost', ca]),
  );
  const b = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { connected: number; wallMs: number };
  if (b.connected !== o.devices) throw new Error(`baseline: ${b.connected} of ${o.devices} connected`);
  return { cpu: r.cpuMs / o.devices, rate: (o.devices / b.wallMs) * 1000 };
}

export async function transportsBench(o: TransportBenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herd-bench-tr-'));
  const pki = join(dir, 'pki');
  await createCa({ out: pki });
  await issueServer({ ca: pki, out: pki, dns: ['localhost'], ip: ['127.0.0.1'] });
  const ca = join(pki, 'ca.crt');
  const stores: Record<string, string> = {};
  for (const key of KEYS) {
    stores[key] = join(dir, `${key}.store`);
    await mintStore({ caDir: pki, out: stores[key], count: o.devices, seed: 'bench', key });
  }
  const b = await startHerdBroker(pki);
  const cases: [string, () => { cpu: number; rate: number }][] = [
    ['raw TLS baseline (p256)', () => rawRun(b.tls, stores.p256!, ca, o)],
    ['herd mqtt:// (TCP, p256)', () => herdRun(`mqtt://127.0.0.1:${b.tcp}`, stores.p256!, ca, o)],
    ['herd mqtts:// (TLS, p256)', () => herdRun(`mqtts://127.0.0.1:${b.tls}`, stores.p256!, ca, o)],
    ['herd wss:// (WebSocket, mTLS, p256)', () => herdRun(`wss://127.0.0.1:${b.wss}/mqtt`, stores.p256!, ca, o)],
    ...KEYS.filter((k) => k !== 'p256').map((k): [string, () => { cpu: number; rate: number }] => [
      `herd mqtts:// (TLS, ${k})`,
      () => herdRun(`mqtts://127.0.0.1:${b.tls}`, stores[k]!, ca, o),
    ]),
  ];
  console.log(
    `bench/handshake per transport and key type: ${o.devices} connects to CONNACK, ${o.concurrency} in flight, ` +
      `herd broker (embedded) on TCP ${b.tcp}, TLS ${b.tls}, WSS ${b.wss}, ${o.reps} reps`,
  );
  const results = cases.map(() => ({
    cpu: [] as number[],
    rate: [] as number[],
    cpuRatio: [] as number[],
    rateRatio: [] as number[],
  }));
  try {
    for (let rep = 0; rep < o.reps; rep++) {
      let base = { cpu: 0, rate: 0 };
      cases.forEach(([, run], i) => {
        const r = run();
        if (i === 0) base = r;
        const acc = results[i]!;
        acc.cpu.push(r.cpu);
        acc.rate.push(r.rate);
        acc.cpuRatio.push(r.cpu / base.cpu);
        acc.rateRatio.push(r.rate / base.rate);
      });
    }
  } finally {
    b.stop();
  }
  console.log('  median over reps (ratios against the raw baseline of the same rep):');
  cases.forEach(([name], i) => {
    const r = results[i]!;
    console.log(
      `  ${name.padEnd(38)} cpu/connect ${median(r.cpu).toFixed(3)} ms (×${median(r.cpuRatio).toFixed(3)})  ` +
        `connects/s ${median(r.rate).toFixed(0)} (×${median(r.rateRatio).toFixed(3)})`,
    );
  });
}
