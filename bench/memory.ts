/**
 * bench/memory: generator memory per held mTLS connection at 10,000 and 19,000 held (one
 * generator process, one mosquitto), next to the same run holding nothing (hold 0s), and
 * mosquitto's memory per connection.
 *
 * With --contexts shared,per-device (the default) each size runs once per way devices get their
 * certificate (herd run --tls-contexts), so the two compare in one invocation.
 *
 *   npm run build && node dist/bench/memory.js [--held 10000,19000] [--rate 800] [--contexts shared,per-device]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCa, issueServer, mintStore } from '../src/pki/index.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import type { Summary } from '../src/model/summary.js';
import { MiB, rssOf, sampler, treeRss } from './procs.js';
import { herdRunArgs } from './args.js';

const { values } = parseArgs({
  options: { held: { type: 'string' }, rate: { type: 'string' }, contexts: { type: 'string' } },
});
const CONTEXTS = (values.contexts ?? 'shared,per-device').split(',');
const SIZES = (values.held ?? '10000,19000').split(',').map(Number);
const RATE = Number(values.rate ?? 800);
const herdBin = join(import.meta.dirname, '..', 'src', 'cli', 'main.js');

/**
 * Runs herd with a start 5 s ahead (--start-at), so its resident memory once started but
 * before any connection can be read; then samples the peak.
 */
async function run(
  args: string[],
  brokerPid: number,
): Promise<{ started: number; peak: number; brokerPeak: number; summary: Summary }> {
  const out = mkdtempSync(join(tmpdir(), 'herd-mem-out-'));
  const startAt = new Date(Date.now() + 5000).toISOString();
  const p = spawn(process.execPath, [herdBin, ...args, '--start-at', startAt, '--out', out, '--quiet'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      ...(process.env.BENCH_MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.BENCH_MALLOC_ARENA_MAX } : {}),
    },
  });
  await new Promise((r) => setTimeout(r, 4500));
  const started = treeRss(p.pid!);
  const gen = sampler(() => treeRss(p.pid!), 200);
  const brk = sampler(() => rssOf(brokerPid), 200);
  await new Promise((r) => p.once('close', r));
  return {
    started,
    peak: gen.stop().peak,
    brokerPeak: brk.stop().peak,
    summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herd-mem-'));
  const pki = join(dir, 'pki');
  await createCa({ out: pki });
  await issueServer({ ca: pki, out: pki, dns: ['localhost'], ip: ['127.0.0.1'] });
  const store = join(dir, 'devices.store');
  await mintStore({ caDir: pki, out: store, count: Math.max(...SIZES), seed: 'memory' });
  const m = await startMosquitto({
    cafile: join(pki, 'ca.crt'),
    certfile: join(pki, 'server.crt'),
    keyfile: join(pki, 'server.key'),
    extra: ['log_type none'],
  });
  console.log(`bench/memory: held connections per generator process, mosquitto on port ${m.port}, ${RATE}/s`);
  try {
    for (const n of SIZES) for (const contexts of CONTEXTS) await size(n, contexts, store, pki, m);
  } finally {
    await m.stop();
  }
}

/** One size, one way of giving devices their certificates: herd holding n, and holding none. */
async function size(n: number, contexts: string, store: string, pki: string, m: { port: number; pid: number }) {
  const common = [
    ...herdRunArgs(`mqtts://127.0.0.1:${m.port}`, store, join(pki, 'ca.crt'), n),
    '--rate',
    `${RATE}/s`,
    '--processes',
    '1',
    '--keepalive',
    '60s',
    '--tls-contexts',
    contexts,
  ];
  const idle = await run([...common, '--hold', '0s'], m.pid);
  const brokerIdle = rssOf(m.pid);
  // hold each connection long enough that all n are up at once
  const held = await run([...common, '--hold', `${Math.ceil(n / RATE) + 10}s`], m.pid);
  const k = held.summary.counts.active_peak;
  const total = (held.peak - held.started) / k;
  const marginal = (held.peak - idle.peak) / k;
  console.log(
    `  ${contexts}: ${k} held (of ${n}): herd RSS ${(held.started / MiB).toFixed(0)} MiB started → ${(held.peak / MiB).toFixed(0)} MiB peak: ` +
      `${(total / 1024).toFixed(1)} KB per held connection, all included (target ≤ 64); ` +
      `${(marginal / 1024).toFixed(1)} KB above the same run holding none (peak ${(idle.peak / MiB).toFixed(0)} MiB); ` +
      `mosquitto ${((held.brokerPeak - brokerIdle) / k / 1024).toFixed(1)} KB per connection`,
  );
}

await main();
