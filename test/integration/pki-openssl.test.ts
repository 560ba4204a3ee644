import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/pki/index.js';
import { children, read } from '../../src/pki/der.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { opensslCa } from '../helpers/openssl-pki.js';

const MAIN = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'herd-ossl-'));
const pki = join(dir, 'pki');

function herd(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function herdOk(...args: string[]): string {
  const r = herd(...args);
  if (r.code !== 0) throw new Error(`herd ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}
const openssl = (...args: string[]): string =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const text = (crt: string): string => openssl('x509', '-in', crt, '-noout', '-text');
const verify = (ca: string, crt: string): string => openssl('verify', '-CAfile', ca, crt).trim();
const mode = (p: string): number => statSync(p).mode & 0o777;

/** Writes store device i to files and returns the certificate path. */
function exportMinted(store: string, id: string, out: string): string {
  herdOk('pki', 'export', '--store', store, '--device-id', id, '--out', out);
  return join(out, `${id}.crt`);
}

/** `openssl x509 -text` without what differs between two devices of one profile. */
function profileOf(crt: string, id: string): string {
  return text(crt)
    .replace(/Serial Number:\n\s+[0-9a-f:]+/, 'Serial Number: S')
    .replace(/Validity\n.*\n.*\n/, 'Validity V\n')
    .replace(/pub:\n(\s+[0-9a-f:]+\n)+/, 'pub: K\n')
    .replace(/(Subject Key Identifier: \n\s+)[0-9A-F:]+/, '$1SKI')
    .replace(/Signature Value:\n(\s+[0-9a-f:]+\n?)+/, 'Signature Value: SIG')
    .replaceAll(id, 'ID');
}

beforeAll(() => {
  herdOk('pki', 'ca', '--out', pki, '--cn', 'Herd Test CA', '--org', 'Herd Tests', '--country', 'DE');
  herdOk('pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost,broker.test', '--ip', '127.0.0.1,::1');
  herdOk(
    'pki',
    'device',
    '--ca',
    pki,
    '--out',
    join(dir, 'single'),
    '--device-id',
    'sensor-7',
    '--org',
    'Herd Tests',
    '--country',
    'DE',
  );
  herdOk(
    'pki',
    'mint',
    '--ca',
    pki,
    '--count',
    '50',
    '--seed',
    'p',
    '--org',
    'Herd Tests',
    '--country',
    'DE',
    '--out',
    join(dir, 'd.herd'),
    '--quiet',
  );
});

describe('herd pki certificates, checked by openssl', () => {
  it('makes a CA: basicConstraints CA:TRUE, keyCertSign and cRLSign; key 0600, certificate 0644', () => {
    const t = text(join(pki, 'ca.crt'));
    expect(t).toMatch(/Basic Constraints: critical\n\s+CA:TRUE/);
    expect(t).toMatch(/Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign/);
    expect(t).toContain('Subject: C = DE, O = Herd Tests, CN = Herd Test CA');
    expect(t).toContain('ASN1 OID: prime256v1');
    expect(mode(join(pki, 'ca.key'))).toBe(0o600);
    expect(mode(join(pki, 'ca.crt'))).toBe(0o644);
    expect(readFileSync(join(pki, 'ca.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('makes a server certificate: SAN DNS and IP as given, serverAuth', () => {
    expect(verify(join(pki, 'ca.crt'), join(pki, 'server.crt'))).toMatch(/: OK$/);
    const t = text(join(pki, 'server.crt'));
    expect(t).toContain('DNS:localhost, DNS:broker.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(t).toMatch(/Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    expect(mode(join(pki, 'server.key'))).toBe(0o600);
  });

  it("makes a device certificate with the contract's profile", () => {
    const crt = join(dir, 'single', 'sensor-7.crt');
    expect(verify(join(pki, 'ca.crt'), crt)).toMatch(/: OK$/);
    const t = text(crt);
    expect(t).toContain('Subject: C = DE, O = Herd Tests, OU = IoT-Device, CN = sensor-7');
    expect(t).toContain('URI:spiffe://herd.local/device/sensor-7, DNS:sensor-7.local');
    expect(t).toMatch(/Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
    expect(t).toMatch(/Basic Constraints: critical\n\s+CA:FALSE/);
    expect(t).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(t).toContain('ASN1 OID: prime256v1');
    expect(mode(join(dir, 'single', 'sensor-7.key'))).toBe(0o600);
    expect(mode(crt)).toBe(0o644);
  });

  it('mints devices with exactly the profile of a single device certificate', () => {
    const crt = exportMinted(join(dir, 'd.herd'), 'dev-17', join(dir, 'minted'));
    expect(verify(join(pki, 'ca.crt'), crt)).toMatch(/: OK$/);
    const profile = profileOf(crt, 'dev-17');
    expect(profile).toContain('URI:spiffe://herd.local/device/ID, DNS:ID.local');
    expect(profile).toBe(profileOf(join(dir, 'single', 'sensor-7.crt'), 'sensor-7'));
    expect(openssl('pkey', '-in', join(dir, 'minted', 'dev-17.key'), '-pubout')).toBe(
      openssl('x509', '-in', crt, '-noout', '-pubkey'),
    );
  });

  it("issues `pki device` through the mint's template: subject and extensions byte for byte the same", () => {
    const single = join(dir, 'same-id');
    herdOk(
      'pki',
      'device',
      '--ca',
      pki,
      '--out',
      single,
      '--device-id',
      'dev-17',
      '--org',
      'Herd Tests',
      '--country',
      'DE',
    );
    const minted = exportMinted(join(dir, 'd.herd'), 'dev-17', join(dir, 'minted-17'));
    /** `openssl asn1parse` of the TBS, without the serial and key identifier values (each device has its own). */
    const tbs = (crt: string): string[] => {
      const lines = openssl('asn1parse', '-in', crt).trimEnd().split('\n');
      const end = lines.findIndex((l, n) => n > 1 && /d=1/.test(l));
      return lines
        .slice(1, end)
        .map((l) => l.replace(/(prim: INTEGER +:)[0-9A-F]{32}$/, '$1SERIAL'))
        .map((l, n, all) =>
          /Subject Key Identifier/.test(all[n - 1] ?? '') ? l.replace(/:0414[0-9A-F]{40}$/, ':SKI') : l,
        );
    };
    const a = tbs(join(single, 'dev-17.crt'));
    expect(a).toEqual(tbs(minted));
    const subject = a.slice(a.findIndex((l) => /UTCTIME|GENERALIZEDTIME/.test(l)) + 2).join('\n');
    expect(subject).toMatch(/PRINTABLESTRING +:DE\n/);
    for (const v of ['Herd Tests', 'IoT-Device', 'dev-17']) expect(subject).toContain(`UTF8STRING        :${v}\n`);
    expect(subject).not.toMatch(/PRINTABLESTRING +:dev-17/);
    // and the DER itself: the same subject, the same extensions but for the key identifier's value
    const parts = (crt: string): Buffer[] => {
      const der = new crypto.X509Certificate(readFileSync(crt)).raw;
      const t = children(children(read(der))[0]!);
      const exts = children(children(t.find((n) => n.tag === 0xa3)!)[0]!).map((e) => e.raw);
      return [t[5]!.raw, ...exts.filter((e) => !e.includes(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0e])))];
    };
    expect(parts(join(single, 'dev-17.crt'))).toEqual(parts(minted));
    expect(text(join(single, 'dev-17.crt'))).toContain('Subject: C = DE, O = Herd Tests, OU = IoT-Device, CN = dev-17');
  });

  it('refuses to overwrite without --force, and keeps the modes with it', () => {
    const r = herd('pki', 'ca', '--out', pki);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${join(pki, 'ca.crt')}: already exists (use --force to overwrite)`);
    const again = join(dir, 'again');
    herdOk('pki', 'ca', '--out', again);
    const before = readFileSync(join(again, 'ca.crt'), 'utf8');
    herdOk('pki', 'ca', '--out', again, '--force');
    expect(readFileSync(join(again, 'ca.crt'), 'utf8')).not.toBe(before);
    expect(mode(join(again, 'ca.key'))).toBe(0o600);
    expect(mode(join(again, 'ca.crt'))).toBe(0o644);
  });

  it.each(['p384', 'rsa2048', 'ed25519'])('makes a %s CA that signs servers, devices and minted devices', (key) => {
    const d = join(dir, `ca-${key}`);
    herdOk('pki', 'ca', '--out', d, '--key', key);
    herdOk('pki', 'server', '--ca', d, '--out', d, '--key', key);
    herdOk('pki', 'device', '--ca', d, '--out', d, '--device-id', 'one', '--key', key);
    herdOk('pki', 'mint', '--ca', d, '--count', '20', '--out', join(d, 's.herd'), '--quiet');
    const minted = exportMinted(join(d, 's.herd'), 'dev-3', join(d, 'minted'));
    for (const crt of [join(d, 'server.crt'), join(d, 'one.crt'), minted])
      expect(verify(join(d, 'ca.crt'), crt)).toMatch(/: OK$/);
  });

  it.each(['p384', 'ed25519'])('mints %s device keys', (key) => {
    herdOk(
      'pki',
      'mint',
      '--ca',
      pki,
      '--count',
      '20',
      '--key',
      key,
      '--seed',
      'k',
      '--out',
      join(dir, `${key}.herd`),
      '--quiet',
    );
    const crt = exportMinted(join(dir, `${key}.herd`), 'dev-11', join(dir, `k-${key}`));
    expect(verify(join(pki, 'ca.crt'), crt)).toMatch(/: OK$/);
    expect(text(crt)).toContain(key === 'p384' ? 'ASN1 OID: secp384r1' : 'Public Key Algorithm: ED25519');
    expect(openssl('pkey', '-in', join(dir, `k-${key}`, 'dev-11.key'), '-pubout')).toBe(
      openssl('x509', '-in', crt, '-noout', '-pubkey'),
    );
  });

  it.each(['p256', 'rsa2048'])('mints rsa2048 device keys that openssl checks, from a %s CA', (caKey) => {
    const d = join(dir, `rsa-from-${caKey}`);
    herdOk('pki', 'ca', '--out', d, '--key', caKey);
    herdOk('pki', 'device', '--ca', d, '--out', d, '--device-id', 'dev-1', '--key', 'rsa2048');
    herdOk('pki', 'mint', '--ca', d, '--count', '3', '--key', 'rsa2048', '--out', join(d, 's.herd'), '--quiet');
    const crt = exportMinted(join(d, 's.herd'), 'dev-1', join(d, 'minted'));
    const key = join(d, 'minted', 'dev-1.key');
    expect(verify(join(d, 'ca.crt'), crt)).toMatch(/: OK$/);
    expect(openssl('pkey', '-in', key, '-check', '-noout')).toMatch(/^Key is valid$/m);
    expect(openssl('rsa', '-in', key, '-check', '-noout')).toMatch(/^RSA key ok$/m);
    expect(openssl('pkey', '-in', key, '-pubout')).toBe(openssl('x509', '-in', crt, '-noout', '-pubkey'));
    const t = text(crt);
    expect(t).toMatch(/Public Key Algorithm: rsaEncryption\n\s+Public-Key: \(2048 bit\)/);
    expect(t).toMatch(/Exponent: 65537 \(0x10001\)/);
    expect(t).toMatch(/Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    expect(t).toContain(`Signature Algorithm: ${caKey === 'p256' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption'}`);
    // the same profile as a random RSA key's `herd pki device` certificate
    const profile = (c: string): string =>
      profileOf(c, 'dev-1').replace(/Modulus:\n(\s+[0-9a-f:]+\n)+/, 'Modulus: M\n');
    expect(profile(crt)).toBe(profile(join(d, 'dev-1.crt')));
  });

  it.each([
    ['EC P-256', 'ecdsa-with-SHA256'],
    ['EC P-521', 'ecdsa-with-SHA512'],
    ['RSA 2048', 'sha256WithRSAEncryption'],
  ] as const)("uses a user's own %s CA made with openssl", (kind, sigAlg) => {
    let ca: string;
    if (kind === 'EC P-256') ca = opensslCa(join(dir, 'user-ec'), 'User EC CA').dir;
    else {
      ca = join(dir, kind === 'RSA 2048' ? 'user-rsa' : 'user-p521');
      mkdirSync(ca, { recursive: true });
      const key =
        kind === 'RSA 2048' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'];
      openssl(
        'req',
        '-x509',
        ...key,
        '-nodes',
        '-keyout',
        join(ca, 'ca.key'),
        '-out',
        join(ca, 'ca.crt'),
        '-days',
        '30',
        '-subj',
        '/C=GB/O=User Org/CN=User CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      );
    }
    herdOk('pki', 'device', '--ca', ca, '--out', ca, '--device-id', 'u1');
    herdOk('pki', 'mint', '--ca', ca, '--count', '30', '--out', join(ca, 's.herd'), '--quiet');
    expect(verify(join(ca, 'ca.crt'), join(ca, 'u1.crt'))).toMatch(/: OK$/);
    const crt = exportMinted(join(ca, 's.herd'), 'dev-29', join(ca, 'x'));
    expect(verify(join(ca, 'ca.crt'), crt)).toMatch(/: OK$/);
    expect(text(crt)).toContain(`Signature Algorithm: ${sigAlg}`);
    const crl = join(ca, 'crl.pem');
    herdOk('pki', 'crl', '--ca', ca, '--revoke', 'u1', '--out', crl);
    const r = spawnSync(
      'openssl',
      ['verify', '-crl_check', '-CRLfile', crl, '-CAfile', join(ca, 'ca.crt'), join(ca, 'u1.crt')],
      { encoding: 'utf8' },
    );
    expect(r.stdout + r.stderr).toContain('certificate revoked');
  });

  it('writes a minted store that opens with the CA it was minted by', () => {
    const s = openStore(join(dir, 'd.herd'));
    expect(s.caCertPem).toBe(readFileSync(join(pki, 'ca.crt'), 'utf8'));
    writeFileSync(join(dir, 'dev-0.crt'), s.device(0).certPem);
    expect(verify(join(pki, 'ca.crt'), join(dir, 'dev-0.crt'))).toMatch(/: OK$/);
    s.close();
  });
});
