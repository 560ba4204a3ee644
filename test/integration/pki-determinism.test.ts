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

  it('gives the same bytes for slices minted apart (as shards would)', () => {
    const a = mint('slice-a', '--start', '0', '--count', '500', '--seed', 'det', '--threads', '2', '--faults', FAULTS);
    const b = mint(
      'slice-b',
      '--start',
      '500',
      '--count',
      '700',
      '--seed',
      'det',
      '--threads',
      '1',
      '--faults',
      FAULTS,
    );
    expect(b.device(500).id).toBe('dev-500');
    expect(contents(a, b)).toEqual(full);
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
