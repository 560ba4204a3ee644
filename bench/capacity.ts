/**
 * bench/capacity: is `herd capacity` repeatable? Three searches for the knee of one
 * Debian mosquitto, one after the other, and the spread of the three knees against
 * their median (the target: within 15%). Meant for a quiet machine: on a shared one the
 * knee follows whatever else runs, and each search says so in its findings (host CPU).
 *
 *   npm run build && node dist/bench/capacity.js [--runs 3] [--budget 3m] [--server-key rsa4096|p256]
 *
 * The broker's server key decides who breaks first where generator and broker share a
 * machine: herd spends ~2.5 ms of CPU per mTLS handshake, mosquitto ~1.2 ms with a
 * P-256 key and ~4 ms with RSA-4096 (the server signs; the client only verifies). With
 * rsa4096 (the default) mosquitto is the dearer side and its knee is what is measured;
 * with p256 on a small machine the generator may saturate first (the search then says
 * "at least X" and exits 97, and this bench reports it rather than a spread).
 * Exit 1 when the knees spread more than 15% or a search found no knee.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCa, issueServer } from '../src/pki/index.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import type { Summary } from '../src/model/summary.js';

const { values } = parseArgs({
  options: { runs: { type: 'string' }, budget: { type: 'string' }, 'server-key': { type: 'string' } },
});
const RUNS = Number(values.runs ?? 3);
const BUDGET = values.budget ?? '3m';
const SERVER_KEY = values['server-key'] ?? 'rsa4096';
const TARGET_SPREAD = 0.15;
if (!['rsa4096', 'p256'].includes(SERVER_KEY))
  throw new Error(`--server-key: expected rsa4096 or p256, got ${SERVER_KEY}`);
const herdBin = join(import.meta.dirname, '..', 'src', 'cli', 'main.js');

function rsaServer(pki: string): { cert: string; key: string } {
  const key = join(pki, 'server-rsa.key');
  const cert = join(pki, 'server-rsa.crt');
  const ext = join(pki, 'server-rsa.ext');
  writeFileSync(
    ext,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'rsa:4096',
      '-nodes',
      '-keyout',
      key,
      '-subj',
      '/CN=localhost',
      '-out',
      join(pki, 'server-rsa.csr'),
    ],
    { stdio: 'ignore' },
  );
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      join(pki, 'server-rsa.csr'),
      '-CA',
      join(pki, 'ca.crt'),
      '-CAkey',
      join(pki, 'ca.key'),
      '-CAcreateserial',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function search(
  target: string,
  pki: string,
  out: string,
): Promise<{ code: number | null; summary: Summary | undefined }> {
  const p = spawn(
    process.execPath,
    [
      herdBin,
      'capacity',
      '--target',
      target,
      '--pki',
      pki,
      '--servername',
      'localhost',
      '--budget',
      BUDGET,
      '--out',
      out,
      '--quiet',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return new Promise((resolve) =>
    p.once('close', (code) => {
      let summary: Summary | undefined;
      try {
        summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
      } catch {
        summary = undefined;
      }
      resolve({ code, summary });
    }),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'herd-bench-cap-'));
const pki = join(dir, 'pki');
await createCa({ out: pki, cn: 'bench CA' });
let server: { cert: string; key: string };
if (SERVER_KEY === 'rsa4096') server = rsaServer(pki);
else {
  await issueServer({ ca: pki, out: pki, dns: ['localhost'], ip: ['127.0.0.1'], cn: 'localhost' });
  server = { cert: join(pki, 'server.crt'), key: join(pki, 'server.key') };
}
const m = await startMosquitto({ cafile: join(pki, 'ca.crt'), certfile: server.cert, keyfile: server.key });
const target = `mqtts://127.0.0.1:${m.port}`;
console.log(
  `bench/capacity: ${RUNS} searches, budget ${BUDGET} each, mosquitto ${target} (server key ${SERVER_KEY}), ${availableParallelism()} CPUs`,
);

const knees: number[] = [];
let failed = false;
try {
  for (let i = 0; i < RUNS; i++) {
    const { code, summary } = await search(target, pki, join(dir, `run${i + 1}`));
    const cap = summary?.capacity;
    if (cap === undefined) {
      console.log(`  search ${i + 1}: exit ${code}, no capacity in the summary`);
      failed = true;
      continue;
    }
    const knee = cap.steps.filter((s) => s.rate === cap.ceiling && !s.ok).at(-1);
    const host =
      knee?.host_cpu === null || knee === undefined
        ? ''
        : ` · host CPU ${Math.round(knee.host_cpu * 100)}% at ${knee.rate}/s`;
    console.log(
      `  search ${i + 1}: exit ${code} · max ${cap.at_least ? 'at least ' : ''}${cap.max_rate ?? '–'}/s · broke at ${cap.ceiling ?? '–'}/s · ` +
        `${cap.limited_by}${cap.confirmed ? ' · confirmed' : ''} · ${cap.steps.length} steps in ${(cap.search.elapsed_ms / 1000).toFixed(0)}s${host}`,
    );
    console.log(`    ${cap.findings[0]?.text ?? cap.reason}`);
    if (cap.max_rate === null || cap.at_least) failed = true;
    else knees.push(cap.max_rate);
  }
} finally {
  await m.stop();
  rmSync(dir, { recursive: true, force: true });
}
if (knees.length >= 2) {
  const sorted = [...knees].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const spread = (sorted.at(-1)! - sorted[0]!) / median;
  const ok = spread <= TARGET_SPREAD;
  console.log(
    `knees ${knees.map((k) => `${k}/s`).join(', ')} · median ${median}/s · ` +
      `spread (max − min) / median ${(spread * 100).toFixed(1)}% (target ≤ ${TARGET_SPREAD * 100}%) ${ok ? 'OK' : 'MISSED'}`,
  );
  if (!ok) failed = true;
} else {
  console.log('fewer than two knees found: no spread to report');
  failed = true;
}
process.exitCode = failed ? 1 : 0;
