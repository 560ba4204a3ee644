/**
 * Bench: `herd pki mint` certs/s with 1 and 2 threads (the whole command: start-up,
 * minting, writing the store), next to two baselines measured in the same run: an
 * openssl CLI loop (genpkey + req + x509 per device) and `openssl speed ecdsap256`
 * (the signing bound of one core).
 *
 *   node dist/bench/mint.js [--count 100000] [--threads 1,2] [--loop 200] [--speed-seconds 3]
 *
 * Exits 1 when a rate misses its target (12,000/s on 1 thread, 20,000/s on 2).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import type { MintStats } from '../src/pki/index.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    threads: { type: 'string' },
    loop: { type: 'string' },
    'speed-seconds': { type: 'string' },
  },
});
const COUNT = Number(values.count ?? 100_000);
const THREADS = (values.threads ?? '1,2').split(',').map(Number);
const LOOP = Number(values.loop ?? 200);
const SPEED_S = Number(values['speed-seconds'] ?? 3);
const TARGET: Record<number, number> = { 1: 12_000, 2: 20_000 };
const MAIN = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'herd-bench-mint-'));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const log = (s: string): void => void process.stderr.write(`${s}\n`);

function herd(args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`herd ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function mint(threads: number): { wall: number; stats: MintStats } {
  const t0 = performance.now();
  const out = herd([
    'pki',
    'mint',
    '--ca',
    join(dir, 'pki'),
    '--count',
    String(COUNT),
    '--seed',
    'bench',
    '--threads',
    String(threads),
    '--out',
    join(dir, `t${threads}.herd`),
    '--force',
    '--quiet',
    '--json',
  ]);
  const wall = (performance.now() - t0) / 1000;
  return { wall, stats: JSON.parse(out) as MintStats };
}

function opensslLoop(n: number): number {
  const d = join(dir, 'loop');
  execFileSync('mkdir', ['-p', d]);
  const ext = join(d, 'device.ext');
  writeFileSync(
    ext,
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' +
      'subjectAltName=URI:spiffe://herd.local/device/$ENV::ID,DNS:$ENV::ID.local\n',
  );
  const ca = join(dir, 'pki');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `dev-${i}`;
    const key = join(d, `${id}.key`);
    const csr = join(d, `${id}.csr`);
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    execFileSync('openssl', [
      'req',
      '-new',
      '-key',
      key,
      '-subj',
      `/C=US/O=mqtt-herd/OU=IoT-Device/CN=${id}`,
      '-out',
      csr,
    ]);
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        join(ca, 'ca.crt'),
        '-CAkey',
        join(ca, 'ca.key'),
        '-set_serial',
        String(i + 1),
        '-days',
        '365',
        '-sha256',
        '-extfile',
        ext,
        '-out',
        join(d, `${id}.crt`),
      ],
      { env: { ...process.env, ID: id }, stdio: 'ignore' },
    );
  }
  return n / ((performance.now() - t0) / 1000);
}

function opensslSpeed(): number {
  const out = execFileSync('openssl', ['speed', '-seconds', String(SPEED_S), 'ecdsap256'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = out.split('\n').find((l) => /\becdsa \(nistp256\)/.test(l));
  const m = line?.trim().split(/\s+/);
  const sign = Number(m?.[m.length - 2]);
  if (!Number.isFinite(sign)) throw new Error(`cannot read openssl speed output:\n${out}`);
  return sign;
}

try {
  herd(['pki', 'ca', '--out', join(dir, 'pki')]);
  log(`openssl CLI loop, ${LOOP} devices ...`);
  const loop = opensslLoop(LOOP);
  log(`openssl speed ecdsap256, ${SPEED_S} s ...`);
  const speed = opensslSpeed();
  const rows: string[] = [];
  let ok = true;
  for (const t of THREADS) {
    log(`herd pki mint, ${fmt(COUNT)} devices, ${t} thread(s) ...`);
    const { wall, stats } = mint(t);
    const rate = COUNT / wall;
    const target = TARGET[t];
    if (target !== undefined && rate < target) ok = false;
    const per = (ms: number) => ((ms * 1000) / COUNT).toFixed(1);
    const p = stats.phases;
    rows.push(
      `herd mint, ${t} thread${t === 1 ? ' ' : 's'}      ${fmt(rate).padStart(8)} certs/s   ${(rate / loop).toFixed(0).padStart(5)}x loop   ` +
        `${((100 * rate) / (speed * t)).toFixed(0).padStart(3)}% of ${t} x openssl sign` +
        `${target ? `   target ${fmt(target)}: ${rate >= target ? 'met' : 'MISSED'}` : ''}\n` +
        `    whole command ${wall.toFixed(2)} s (in-process ${stats.seconds.toFixed(2)} s); µs per cert of worker time: keygen ${per(p.keygenMs)}, ` +
        `encode ${per(p.encodeMs)}, sign ${per(p.signMs)}; main thread store ${per(p.storeMs)}; store ${(stats.bytes / 1e6).toFixed(1)} MB`,
    );
  }
  process.stdout.write(
    [
      `mint benchmark: ${fmt(COUNT)} P-256 devices, Node ${process.version}, ${execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()}`,
      `openssl CLI loop (genpkey+req+x509)   ${fmt(loop).padStart(8)} certs/s   (${LOOP} devices)`,
      `openssl speed ecdsap256 (1 core)      ${fmt(speed).padStart(8)} signs/s   (the signing bound)`,
      ...rows,
      '',
    ].join('\n'),
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
