/**
 * Bench: `herd pki mint` certs/s for each device key type (p256, p384, ed25519, rsa2048)
 * with 1 and 2 threads (the whole command: start-up, minting, writing the store), next to
 * baselines measured in the same run for the same key type:
 *
 * - an openssl CLI loop: genpkey + req + x509 per device (for rsa2048, genpkey alone:
 *   RSA key generation is ~99% of it);
 * - a one-core bound. EC and Ed25519: `openssl speed` signing (a signature costs one
 *   scalar multiplication, as deriving the key does; for p256 it is also the CA's signing
 *   cost, the CA being P-256). RSA: OpenSSL's own key generation in this process
 *   (node:crypto generateKeyPairSync, no process start per key). `openssl speed rsa2048`
 *   would be the wrong one: it times signatures with an existing key, which a mint does
 *   not make (the CA signs); what a minted RSA device costs is finding its two primes.
 *
 *   node dist/bench/mint.js [--keys p256,p384,ed25519,rsa2048] [--count 100000] [--rsa-count 2000]
 *                           [--threads 1,2] [--loop 200] [--rsa-loop 20] [--speed-seconds 3]
 *
 * `--count` is the devices per EC/Ed25519 kind, and per rsa2048 too unless `--rsa-count`
 * says otherwise (RSA keys mint ~1,000 times slower); `--rsa-loop` is the keys each RSA
 * baseline makes. Exits 1 when p256 misses its target (12,000/s on 1 thread, 20,000/s on
 * 2), checked from 10,000 devices up: below that the start-up decides the rate.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import type { MintStats } from '../src/pki/index.js';

type Key = 'p256' | 'p384' | 'ed25519' | 'rsa2048';
const ALL_KEYS: Key[] = ['p256', 'p384', 'ed25519', 'rsa2048'];

const { values } = parseArgs({
  options: {
    keys: { type: 'string' },
    count: { type: 'string' },
    'rsa-count': { type: 'string' },
    threads: { type: 'string' },
    loop: { type: 'string' },
    'rsa-loop': { type: 'string' },
    'speed-seconds': { type: 'string' },
  },
});
const KEYS = (values.keys ?? ALL_KEYS.join(',')).split(',') as Key[];
for (const k of KEYS)
  if (!ALL_KEYS.includes(k)) throw new Error(`--keys: expected some of ${ALL_KEYS.join(',')}, got ${k}`);
const COUNT = Number(values.count ?? 100_000);
const RSA_COUNT = Number(values['rsa-count'] ?? values.count ?? 2_000);
const THREADS = (values.threads ?? '1,2').split(',').map(Number);
const LOOP = Number(values.loop ?? 200);
const RSA_LOOP = Number(values['rsa-loop'] ?? 20);
const SPEED_S = Number(values['speed-seconds'] ?? 3);
const TARGET: Record<number, number> = { 1: 12_000, 2: 20_000 };
const TARGET_FROM = 10_000;
const MAIN = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'herd-bench-mint-'));
const fmt = (n: number): string =>
  n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const log = (s: string): void => void process.stderr.write(`${s}\n`);
/** Per-certificate time: µs below a millisecond, ms above. */
const perCert = (ms: number, n: number): string =>
  ms / n >= 1 ? `${(ms / n).toFixed(1)} ms` : `${((ms * 1000) / n).toFixed(1)} µs`;

/** How openssl makes a key of each kind, and how `openssl speed` names its signature. */
const OPENSSL: Record<Key, { genpkey: string[]; speed?: { arg: string; line: RegExp } }> = {
  p256: {
    genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    speed: { arg: 'ecdsap256', line: /\becdsa \(nistp256\)/ },
  },
  p384: {
    genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
    speed: { arg: 'ecdsap384', line: /\becdsa \(nistp384\)/ },
  },
  ed25519: { genpkey: ['-algorithm', 'ED25519'], speed: { arg: 'ed25519', line: /\bEdDSA \(Ed25519\)/ } },
  rsa2048: { genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'] },
};

function herd(args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`herd ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function mint(key: Key, count: number, threads: number): { wall: number; stats: MintStats } {
  const out = join(dir, `${key}-t${threads}.herd`);
  const t0 = performance.now();
  const json = herd([
    'pki',
    'mint',
    '--ca',
    join(dir, 'pki'),
    '--count',
    String(count),
    '--key',
    key,
    '--seed',
    'bench',
    '--threads',
    String(threads),
    '--out',
    out,
    '--force',
    '--quiet',
    '--json',
  ]);
  const wall = (performance.now() - t0) / 1000;
  rmSync(out, { force: true });
  return { wall, stats: JSON.parse(json) as MintStats };
}

/** openssl genpkey (+ req + x509 unless `keyOnly`) per device: certificates (or keys) per second. */
function opensslLoop(key: Key, n: number, keyOnly: boolean): number {
  const d = join(dir, `loop-${key}`);
  mkdirSync(d, { recursive: true });
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
    const keyFile = join(d, `${id}.key`);
    const csr = join(d, `${id}.csr`);
    execFileSync('openssl', ['genpkey', ...OPENSSL[key].genpkey, '-out', keyFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (keyOnly) continue;
    execFileSync('openssl', [
      'req',
      '-new',
      '-key',
      keyFile,
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
      ].concat(['-days', '365', '-sha256', '-extfile', ext, '-out', join(d, `${id}.crt`)]),
      { env: { ...process.env, ID: id }, stdio: 'ignore' },
    );
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Signatures per second on one core, by `openssl speed`. */
function opensslSpeed(arg: string, line: RegExp): number {
  const out = execFileSync('openssl', ['speed', '-seconds', String(SPEED_S), arg], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const m = out
    .split('\n')
    .find((l) => line.test(l))
    ?.trim()
    .split(/\s+/);
  const sign = Number(m?.[m.length - 2]);
  if (!Number.isFinite(sign)) throw new Error(`cannot read openssl speed output:\n${out}`);
  return sign;
}

/** OpenSSL's RSA-2048 key generation in this process: keys per second. */
function opensslRsaKeygen(n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) generateKeyPairSync('rsa', { modulusLength: 2048 });
  return n / ((performance.now() - t0) / 1000);
}

const row = (name: string, rate: number, unit: string, note: string): string =>
  `  ${name.padEnd(38)}${fmt(rate).padStart(9)} ${unit.padEnd(7)} (${note})`;

/** The baselines of one key type: the openssl loop, the one-core bound, and their lines. */
function baselines(key: Key): { loop: number; bound: number; lines: string[] } {
  if (key === 'rsa2048') {
    log(`${key}: openssl genpkey loop, ${RSA_LOOP} keys ...`);
    const loop = opensslLoop(key, RSA_LOOP, true);
    log(`${key}: OpenSSL keygen in-process, ${RSA_LOOP} keys ...`);
    const bound = opensslRsaKeygen(RSA_LOOP);
    const lines = [
      row('openssl genpkey RSA 2048 loop', loop, 'keys/s', `${RSA_LOOP} keys, a process each`),
      row('OpenSSL RSA 2048 keygen (1 core)', bound, 'keys/s', 'in-process, node:crypto: the keygen bound'),
    ];
    return { loop, bound, lines };
  }
  log(`${key}: openssl CLI loop, ${LOOP} devices ...`);
  const loop = opensslLoop(key, LOOP, false);
  const speed = OPENSSL[key].speed!;
  log(`${key}: openssl speed ${speed.arg}, ${SPEED_S} s ...`);
  const bound = opensslSpeed(speed.arg, speed.line);
  const what =
    key === 'p256'
      ? 'the CA signing bound; also one scalar multiplication, as the key'
      : 'one scalar multiplication, as the key';
  const lines = [
    row('openssl CLI loop (genpkey+req+x509)', loop, 'certs/s', `${LOOP} devices`),
    row(`openssl speed ${speed.arg} (1 core)`, bound, 'signs/s', what),
  ];
  return { loop, bound, lines };
}

/** The lines of one key type, and whether its targets were met. */
function benchKey(key: Key): { lines: string[]; ok: boolean } {
  const count = key === 'rsa2048' ? RSA_COUNT : COUNT;
  const { loop, bound, lines: base } = baselines(key);
  const lines = [`${key}: ${fmt(count)} devices`, ...base];
  let ok = true;
  for (const t of THREADS) {
    log(`${key}: herd pki mint, ${fmt(count)} devices, ${t} thread(s) ...`);
    const { wall, stats } = mint(key, count, t);
    const rate = count / wall;
    const target = key === 'p256' && count >= TARGET_FROM ? TARGET[t] : undefined;
    if (target !== undefined && rate < target) ok = false;
    const p = stats.phases;
    const name = `herd mint, ${t} thread${t === 1 ? '' : 's'}`;
    const share = (100 * rate) / (bound * t);
    lines.push(
      `  ${name.padEnd(38)}${fmt(rate).padStart(9)} certs/s  ${(rate / loop).toFixed(rate / loop < 10 ? 1 : 0)}x loop  ` +
        (share >= 100
          ? `${(share / 100).toFixed(1)} times ${t} x bound`
          : `${share.toFixed(share < 10 ? 1 : 0)}% of ${t} x bound`) +
        `${target ? `  target ${fmt(target)}: ${rate >= target ? 'met' : 'MISSED'}` : ''}`,
      `      whole command ${wall.toFixed(2)} s (in-process ${stats.seconds.toFixed(2)} s); per cert of worker time: keygen ${perCert(p.keygenMs, count)}, ` +
        `encode ${perCert(p.encodeMs, count)}, sign ${perCert(p.signMs, count)}; main thread store ${perCert(p.storeMs, count)}; ` +
        `store ${(stats.bytes / 1e6).toFixed(1)} MB`,
    );
  }
  return { lines, ok };
}

try {
  herd(['pki', 'ca', '--out', join(dir, 'pki')]);
  const results = KEYS.map(benchKey);
  process.stdout.write(
    [
      `mint benchmark, Node ${process.version}, ${execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()}; ` +
        'a P-256 CA signs every device certificate',
      ...results.flatMap((r) => r.lines),
      '',
    ].join('\n'),
  );
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
