import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type DeviceStore } from '../../src/pki/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const MAIN = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'herd-det-'));
const pki = join(dir, 'pki');
const FAULTS = 'expired=3%,revoked=3%,wrong_ca=3%,cn_mismatch=3%,wrong_eku=3%,not_yet_valid=3%,no_cert=3%';

/** A copy of the CA, as another shard's machine would have it (with its own crl.pem). */
const shardPki = join(dir, 'shard-pki');

function mint(name: string, ...args: string[]): DeviceStore {
  const out = join(dir, `${name}.herd`);
  const ca = name.startsWith('slice') ? shardPki : pki;
  const r = spawnSync(process.execPath, [MAIN, 'pki', 'mint', '--ca', ca, '--out', out, '--quiet', ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`mint ${name}: ${r.stderr}`);
  return openStore(out);
}

/** Every device's certificate, key and fault, by index. */
function contents(...stores: DeviceStore[]): Map<number, string> {
  const m = new Map<number, string>();
  for (const s of stores) {
    for (let i = s.start; i < s.start + s.count; i++) {
      const d = s.device(i);
      m.set(i, `${d.certDer.toString('hex')}/${d.keyDer.toString('hex')}/${d.fault ?? ''}`);
    }
  }
  return m;
}

let full: Map<number, string>;

beforeAll(() => {
  const r = spawnSync(process.execPath, [MAIN, 'pki', 'ca', '--out', pki], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  mkdirSync(shardPki);
  for (const f of ['ca.crt', 'ca.key']) copyFileSync(join(pki, f), join(shardPki, f));
  full = contents(mint('full-1', '--count', '1200', '--seed', 'det', '--threads', '1', '--faults', FAULTS));
});

describe('seeded minting is deterministic', () => {
  it('gives the same bytes with 2 threads as with 1', () => {
    expect(contents(mint('full-2', '--count', '1200', '--seed', 'det', '--threads', '2', '--faults', FAULTS))).toEqual(
      full,
    );
  });

  it('gives the same bytes for slices minted apart over the same fault span (as shards would)', () => {
    const span = ['--fault-span', '0-1199', '--seed', 'det', '--faults', FAULTS];
    const a = mint('slice-a', '--start', '0', '--count', '500', '--threads', '2', ...span);
    const b = mint('slice-b', '--start', '500', '--count', '700', '--threads', '1', ...span);
    expect(b.device(500).id).toBe('dev-500');
    expect(contents(a, b)).toEqual(full);
    expect(b.meta.faultSpan).toEqual({ first: 0, total: 1200 });
  });

  it('mints round(share × N) of each fault, and says so in the store', () => {
    const s = openStore(join(dir, 'full-1.herd'));
    const counts = new Map<string, number>();
    for (let i = 0; i < s.count; i++) counts.set(s.fault(i) ?? '', (counts.get(s.fault(i) ?? '') ?? 0) + 1);
    const each = Math.round(0.03 * 1200);
    expect(Object.fromEntries(counts)).toEqual({
      '': 1200 - 7 * each,
      expired: each,
      not_yet_valid: each,
      wrong_ca: each,
      revoked: each,
      cn_mismatch: each,
      no_cert: each,
      wrong_eku: each,
    });
    expect(Object.values(s.meta.faultCounts)).toEqual(Array(7).fill(each));
    expect(s.meta.faultSpan).toEqual({ first: 0, total: 1200 });
    s.close();
  });

  it('splits 15,000 devices at 1% into shards that each get their part within ±1, and add up to 150', () => {
    const args = ['--seed', 'split', '--faults', 'expired=1%', '--threads', '1'];
    const whole = mint('split-full', '--count', '15000', ...args);
    expect(whole.meta.faultCounts).toEqual({ expired: 150 });
    const all = contents(whole);
    const k = 4;
    const parts: Map<number, string>[] = [];
    for (let i = 0; i < k; i++) {
      const start = Math.floor((i * 15000) / k);
      const count = Math.floor(((i + 1) * 15000) / k) - start;
      const shard = mint(
        `slice-split-${i}`,
        '--start',
        `${start}`,
        '--count',
        `${count}`,
        '--fault-span',
        '0-14999',
        ...args,
      );
      expect(Math.abs((shard.meta.faultCounts.expired ?? 0) - (150 * count) / 15000)).toBeLessThanOrEqual(1);
      parts.push(contents(shard));
    }
    expect(new Map(parts.flatMap((m) => [...m]))).toEqual(all);
  });

  it('without --fault-span, a slice is exact over its own devices', () => {
    const s = mint('own-slice', '--start', '100', '--count', '250', '--seed', 'own', '--faults', 'revoked=2%');
    expect(s.meta.faultCounts).toEqual({ revoked: 5 });
    expect(s.meta.faultSpan).toEqual({ first: 100, total: 250 });
  });

  it('gives faulty devices deterministically too, every kind present', () => {
    const s = openStore(join(dir, 'full-1.herd'));
    const kinds = new Set(Array.from({ length: s.count }, (_, i) => s.fault(i)));
    expect([...kinds].filter(Boolean).sort()).toEqual([
      'cn_mismatch',
      'expired',
      'no_cert',
      'not_yet_valid',
      'revoked',
      'wrong_ca',
      'wrong_eku',
    ]);
    s.close();
  });

  it('gives other keys for another seed', () => {
    const other = contents(mint('other', '--count', '20', '--seed', 'not-det', '--threads', '1'));
    for (const [i, v] of other) expect(v.split('/')[1]).not.toBe(full.get(i)!.split('/')[1]);
  });

  it("collects the revoked devices of slices minted one after another in the CA's crl.pem", async () => {
    const { X509Crl } = (await import('../../src/pki/x509.js')).x509;
    const crl = new X509Crl(readFileSync(join(shardPki, 'crl.pem'), 'utf8'));
    const listed = new Set(crl.entries.map((e) => e.serialNumber.toLowerCase()));
    const s = openStore(join(dir, 'full-1.herd'));
    const revoked = Array.from({ length: s.count }, (_, i) => i)
      .filter((i) => s.fault(i) === 'revoked')
      .map((i) => new crypto.X509Certificate(s.device(i).certDer).serialNumber.toLowerCase());
    expect(revoked.length).toBeGreaterThan(10);
    expect([...listed].sort()).toEqual(revoked.sort());
    s.close();
  });
});

describe('seeded RSA-2048 minting is deterministic', () => {
  const rsa = (name: string, ...args: string[]): DeviceStore =>
    mint(name, '--key', 'rsa2048', '--seed', 'det-rsa', '--faults', 'wrong_ca=17%,expired=17%', ...args);

  it('gives the same key and certificate bytes on 1 or 2 threads and for slices minted apart; each device its own key', () => {
    const one = contents(rsa('rsa-1', '--count', '6', '--threads', '1'));
    expect(contents(rsa('rsa-2', '--count', '6', '--threads', '2'))).toEqual(one);
    const a = rsa('slice-rsa-a', '--start', '0', '--count', '2', '--fault-span', '0-5', '--threads', '1');
    const b = rsa('slice-rsa-b', '--start', '2', '--count', '4', '--fault-span', '0-5', '--threads', '2');
    expect(contents(a, b)).toEqual(one);
    expect(new Set([...one.values()].map((v) => v.split('/')[1])).size).toBe(6);
    expect(new Set([...one.values()].map((v) => v.split('/')[2]))).toEqual(new Set(['', 'wrong_ca', 'expired']));
    const s = openStore(join(dir, 'rsa-1.herd'));
    expect(s.meta.key).toBe('rsa2048');
    for (let i = 0; i < s.count; i++) {
      const pub = new crypto.X509Certificate(s.device(i).certDer).publicKey;
      expect(pub.asymmetricKeyType).toBe('rsa');
      expect(pub.asymmetricKeyDetails?.modulusLength).toBe(2048);
    }
    s.close();
  });
});
