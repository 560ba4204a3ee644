/**
 * bench/traffic: messages/s and CPU per message of herd's device driver (its schedule,
 * message building, flow) against a baseline of pre-encoded PUBLISH packets written to raw
 * TLS sockets (bench/traffic-client.ts), same devices, same offered rate, same Debian
 * mosquitto, in one invocation, at QoS 0 and 1. Each contender is its own process; the
 * counts and CPU are its traffic phase's alone (connects excluded).
 *
 *   npm run build && node dist/bench/traffic.js [--devices 1000] [--rate 20000] [--seconds 10]
 *                                               [--payload 64] [--reps 3] [--qos 0,1]
 *
 * Prints per QoS and contender the messages sent per second, acked per second (QoS 1) and
 * µs of CPU per message (medians of the repeats, contenders alternating), and the ratios
 * herd ÷ baseline (msgs/s; ≥ 1 is as fast) and baseline ÷ herd (CPU per message).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCa, issueServer, mintStore } from '../src/pki/index.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    payload: { type: 'string' },
    reps: { type: 'string' },
    qos: { type: 'string' },
  },
});
const N = Number(values.devices ?? 1000);
const RATE = Number(values.rate ?? 20_000);
const SECONDS = Number(values.seconds ?? 10);
const PAYLOAD = Number(values.payload ?? 64);
const REPS = Number(values.reps ?? 3);
const QOS = (values.qos ?? '0,1').split(',').map((q) => (q === '1' ? 1 : 0));
const client = join(import.meta.dirname, 'traffic-client.js');

interface Result {
  connected: number;
  sent: number;
  acked: number;
  cpuMs: number;
  wallMs: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function run(role: 'herd' | 'raw', port: number, store: string, ca: string, qos: number): Result {
  const out = execFileSync(
    process.execPath,
    [client, role, String(port), store, String(N), ca, String(qos), String(RATE), String(SECONDS), String(PAYLOAD)],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as Result;
  if (r.connected !== N) throw new Error(`${role}: ${r.connected} of ${N} devices connected`);
  return r;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herd-bench-traffic-'));
  const pki = join(dir, 'pki');
  await createCa({ out: pki });
  await issueServer({ ca: pki, out: pki, dns: ['localhost'], ip: ['127.0.0.1'] });
  const store = join(dir, 'devices.store');
  await mintStore({ caDir: pki, out: store, count: N, seed: 'bench' });
  const m = await startMosquitto({
    cafile: join(pki, 'ca.crt'),
    certfile: join(pki, 'server.crt'),
    keyfile: join(pki, 'server.key'),
    extra: ['max_inflight_messages 0', 'max_queued_messages 100000'],
  });
  const ca = join(pki, 'ca.crt');
  console.log(
    `bench/traffic: ${N} devices, ${RATE} msgs/s offered for ${SECONDS}s, ${PAYLOAD} B payload, mosquitto on 127.0.0.1, ${REPS} reps`,
  );
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
  console.log('');
  console.log('QoS  contender   msgs/s   acked/s   µs CPU/msg');
  try {
    for (const qos of QOS) {
      const rows: { herd: Result; raw: Result }[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        const raw = run('raw', m.port, store, ca, qos);
        const herd = run('herd', m.port, store, ca, qos);
        rows.push({ herd, raw });
      }
      const stat = (pick: (r: { herd: Result; raw: Result }) => Result) => ({
        rate: median(rows.map((r) => (pick(r).sent / pick(r).wallMs) * 1000)),
        acked: median(rows.map((r) => (pick(r).acked / pick(r).wallMs) * 1000)),
        cpu: median(rows.map((r) => (pick(r).cpuMs * 1000) / Math.max(1, pick(r).sent))),
      });
      const h = stat((r) => r.herd);
      const b = stat((r) => r.raw);
      const line = (name: string, s: typeof h): void => {
        const acked = qos ? s.acked.toFixed(0) : '-';
        const cells = [s.rate.toFixed(0).padStart(7), acked.padStart(9), s.cpu.toFixed(1).padStart(12)];
        console.log(`${String(qos).padEnd(4)} ${name.padEnd(10)} ${cells.join(' ')}`);
      };
      line('baseline', b);
      line('herd', h);
      console.log(
        `     ratio      msgs/s herd ÷ baseline ${(h.rate / b.rate).toFixed(2)} · CPU/msg baseline ÷ herd ${(b.cpu / h.cpu).toFixed(2)}`,
      );
    }
  } finally {
    await m.stop();
  }
}

await main();
