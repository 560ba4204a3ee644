import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile } from '../helpers/herd.js';
import { startMosquitto } from '../helpers/mosquitto.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-faults-'));

/** What mosquitto 2.0.11 (OpenSSL 3) answers each credential fault with. */
const EXPECTED: Record<string, string> = {
  expired: 'tls_alert_certificate_expired',
  not_yet_valid: 'tls_alert_bad_certificate',
  wrong_ca: 'tls_alert_unknown_ca',
  revoked: 'tls_alert_certificate_revoked',
  no_cert: 'tls_alert_certificate_required',
  wrong_eku: 'tls_alert_unsupported_certificate',
};

describe('certificate faults against Debian mosquitto', () => {
  const dir = tmp();
  const pki = join(dir, 'pki');
  const store = join(dir, 'devices.store');
  const cnStore = join(dir, 'cn.store');

  beforeAll(async () => {
    for (const args of [
      ['pki', 'ca', '--out', pki],
      ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
      [
        'pki',
        'mint',
        '--ca',
        pki,
        '--count',
        '400',
        '--seed',
        'faults',
        '--out',
        store,
        '--quiet',
        '--faults',
        'expired=3%,not_yet_valid=3%,wrong_ca=3%,revoked=3%,no_cert=3%,wrong_eku=3%',
      ],
      [
        'pki',
        'mint',
        '--ca',
        pki,
        '--count',
        '100',
        '--seed',
        'cn',
        '--out',
        cnStore,
        '--quiet',
        '--faults',
        'cn_mismatch=10%',
      ],
    ]) {
      const r = await herd(args);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(existsSync(join(pki, 'crl.pem'))).toBe(true);
  });

  it('a broker with crlfile and require_certificate rejects every faulty device with its reason and takes every good one', async () => {
    const m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
      crlfile: join(pki, 'crl.pem'),
    });
    try {
      const out = tmp();
      const r = await herd([
        'run',
        '--target',
        `mqtts://127.0.0.1:${m.port}`,
        '--store',
        store,
        '--server-ca',
        join(pki, 'ca.crt'),
        '--servername',
        'localhost',
        '--devices',
        '400',
        '--rate',
        '400/s',
        '--hold',
        '0s',
        '--out',
        out,
        '--quiet',
      ]);
      // 97 only if this shared machine stalled the generator; the content is what is tested
      expect([0, 97], r.stderr).toContain(r.code);
      const s = readSummaryFile(out);
      const faulty = s.security.reduce((a, x) => a + x.expected_rejections, 0);
      expect(faulty).toBeGreaterThan(40);
      expect(s.counts.accepted_unexpectedly).toBe(0);
      expect(s.counts.rejected_as_expected).toBe(faulty);
      expect(s.counts.connected).toBe(400 - faulty);
      expect(s.counts.failed).toBe(0);
      for (const x of s.security) {
        expect(x.rejected, x.fault).toBe(x.expected_rejections);
        expect(Object.keys(x.reasons), x.fault).toEqual([EXPECTED[x.fault]]);
      }
      expect(s.security.map((x) => x.fault).sort()).toEqual(Object.keys(EXPECTED).sort());
      expect(['pass', 'inconclusive']).toContain(s.verdict);
    } finally {
      await m.stop();
    }
  });

  it('a permissive broker (no client certificate required, no CRL) accepts faulty devices: verdict insecure, exit 98', async () => {
    const m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
      requireCertificate: false,
      useIdentityAsUsername: false,
    });
    try {
      const out = tmp();
      const r = await herd([
        'run',
        '--target',
        `mqtts://127.0.0.1:${m.port}`,
        '--store',
        store,
        '--server-ca',
        join(pki, 'ca.crt'),
        '--servername',
        'localhost',
        '--devices',
        '400',
        '--rate',
        '400/s',
        '--hold',
        '0s',
        '--out',
        out,
        '--quiet',
      ]);
      expect(r.code).toBe(98);
      const s = readSummaryFile(out);
      expect(s.verdict).toBe('insecure');
      // no_cert and revoked get in: the broker asks for no certificate and checks no CRL
      const accepted = Object.fromEntries(s.security.map((x) => [x.fault, x.accepted]));
      expect(accepted.no_cert).toBeGreaterThan(0);
      expect(accepted.revoked).toBeGreaterThan(0);
      expect(r.stdout).toMatch(/INSECURE/);
    } finally {
      await m.stop();
    }
  });

  it('mosquitto does not tie the client id to the certificate: a cn_mismatch device gets in, and herd says so (exit 98)', async () => {
    const m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
    });
    try {
      const out = tmp();
      const r = await herd([
        'run',
        '--target',
        `mqtts://127.0.0.1:${m.port}`,
        '--store',
        cnStore,
        '--server-ca',
        join(pki, 'ca.crt'),
        '--servername',
        'localhost',
        '--devices',
        '100',
        '--rate',
        '200/s',
        '--hold',
        '0s',
        '--out',
        out,
        '--quiet',
      ]);
      expect(r.code).toBe(98);
      const s = readSummaryFile(out);
      const cn = s.security.find((x) => x.fault === 'cn_mismatch')!;
      expect(cn.accepted).toBe(cn.expected_rejections);
      expect(cn.accepted).toBeGreaterThan(0);
    } finally {
      await m.stop();
    }
  });
});
