import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { openStore, type DeviceRecord, type DeviceStore } from '../../src/pki/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import type { Fault } from '../../src/model/names.js';
import { SAFETY_NET_MS } from '../helpers/wait.js';

const MAIN = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');

function herd(...args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`herd ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

interface Outcome {
  accepted: boolean;
  detail: string;
}

/** TLS with the device's credentials, then an MQTT 3.1.1 CONNECT written by hand (client id = device id). */
async function connect(
  port: number,
  caPem: string,
  id: string,
  certPem: string,
  keyPem: string,
  options: tls.ConnectionOptions = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: caPem,
      cert: certPem,
      key: keyPem,
      ...options,
    });
    const done = (o: Outcome) => {
      sock.destroy();
      resolve(o);
    };
    // a safety net: every case ends in a CONNACK, an alert or a close long before
    sock.setTimeout(SAFETY_NET_MS, () => done({ accepted: false, detail: 'timeout' }));
    sock.once('secureConnect', () => {
      const cid = Buffer.from(id);
      const body = Buffer.concat([
        Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 30, cid.length >> 8, cid.length & 0xff]),
        cid,
      ]);
      sock.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    });
    sock.once('data', (d: Buffer) => {
      const ok = d.length >= 4 && d[0] === 0x20 && d[1] === 2 && d[3] === 0;
      done({ accepted: ok, detail: `CONNACK ${[...d.subarray(0, 4)].map((b) => b.toString(16)).join(' ')}` });
    });
    sock.once('error', (e: Error) => done({ accepted: false, detail: e.message }));
    sock.once('close', () => done({ accepted: false, detail: 'closed' }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'herd-mosq-pki-'));
const pki = join(dir, 'pki');
let store: DeviceStore;
let broker: Mosquitto;
const firstWith = new Map<Fault | 'none', DeviceRecord>();

beforeAll(async () => {
  herd('pki', 'ca', '--out', pki);
  herd('pki', 'server', '--ca', pki, '--out', pki);
  herd(
    'pki',
    'mint',
    '--ca',
    pki,
    '--count',
    '400',
    '--seed',
    'mosquitto',
    '--out',
    join(dir, 'devices.herd'),
    '--quiet',
    '--faults',
    'revoked=5%,expired=5%,not_yet_valid=5%,wrong_ca=5%,wrong_eku=5%,cn_mismatch=5%',
  );
  store = openStore(join(dir, 'devices.herd'));
  for (let i = 0; i < store.count; i++) {
    const f = store.fault(i) ?? 'none';
    if (!firstWith.has(f)) firstWith.set(f, store.device(i));
  }
  broker = await startMosquitto({
    cafile: join(pki, 'ca.crt'),
    certfile: join(pki, 'server.crt'),
    keyfile: join(pki, 'server.key'),
    crlfile: join(pki, 'crl.pem'),
    requireCertificate: true,
    useIdentityAsUsername: true,
  });
});

afterAll(async () => {
  await broker?.stop();
  store?.close();
});

const dev = (f: Fault | 'none'): DeviceRecord => {
  const d = firstWith.get(f);
  if (!d) throw new Error(`no device with fault ${f} in the store`);
  return d;
};

describe('minted credentials against mosquitto (require_certificate, use_identity_as_username, crlfile)', () => {
  it("accepts a minted device's CONNECT", async () => {
    const d = dev('none');
    const o = await connect(broker.port, store.caCertPem, d.id, d.certPem, d.keyPem);
    expect(o, broker.log()).toEqual({ accepted: true, detail: 'CONNACK 20 2 0 0' });
  });

  it('accepts a device exported to files, as any client would use them', async () => {
    herd(
      'pki',
      'export',
      '--store',
      join(dir, 'devices.herd'),
      '--device-id',
      dev('none').id,
      '--out',
      join(dir, 'export'),
    );
    const id = dev('none').id;
    const o = await connect(
      broker.port,
      readFileSync(join(dir, 'export', 'ca.crt'), 'utf8'),
      id,
      readFileSync(join(dir, 'export', `${id}.crt`), 'utf8'),
      readFileSync(join(dir, 'export', `${id}.key`), 'utf8'),
    );
    expect(o.accepted).toBe(true);
  });

  it.each(['p256', 'rsa2048'])('accepts a `herd pki device` certificate (%s key)', async (key) => {
    const out = join(dir, `single-${key}`);
    herd('pki', 'device', '--ca', pki, '--out', out, '--device-id', `solo-${key}`, '--key', key);
    const o = await connect(
      broker.port,
      store.caCertPem,
      `solo-${key}`,
      readFileSync(join(out, `solo-${key}.crt`), 'utf8'),
      readFileSync(join(out, `solo-${key}.key`), 'utf8'),
    );
    expect(o, broker.log()).toEqual({ accepted: true, detail: 'CONNACK 20 2 0 0' });
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('accepts a minted RSA-2048 device over %s', async (version) => {
    const out = join(dir, `rsa-${version}.herd`);
    herd('pki', 'mint', '--ca', pki, '--count', '2', '--key', 'rsa2048', '--seed', 'rsa', '--out', out, '--quiet');
    const rsa = openStore(out);
    try {
      const d = rsa.device(1);
      expect(new X509Certificate(d.certDer).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      const o = await connect(broker.port, rsa.caCertPem, d.id, d.certPem, d.keyPem, {
        minVersion: version,
        maxVersion: version,
      });
      expect(o, broker.log()).toEqual({ accepted: true, detail: 'CONNACK 20 2 0 0' });
    } finally {
      rsa.close();
    }
  });

  it('rejects a device from another CA', async () => {
    const other = join(dir, 'other');
    herd('pki', 'ca', '--out', other, '--cn', 'Some other CA');
    herd('pki', 'device', '--ca', other, '--out', other, '--device-id', 'dev-1');
    const o = await connect(
      broker.port,
      store.caCertPem,
      'dev-1',
      readFileSync(join(other, 'dev-1.crt'), 'utf8'),
      readFileSync(join(other, 'dev-1.key'), 'utf8'),
    );
    expect(o.accepted).toBe(false);
    expect(o.detail).toMatch(/unknown ca/i);
  });

  it.each([
    ['revoked', /alert certificate revoked/i],
    ['expired', /alert certificate expired/i],
    ['not_yet_valid', /alert bad certificate/i],
    ['wrong_ca', /alert unknown ca/i],
    ['wrong_eku', /alert unsupported certificate/i],
  ] as const)('rejects a %s device at the TLS handshake', async (fault, alert) => {
    const d = dev(fault);
    const o = await connect(broker.port, store.caCertPem, d.id, d.certPem, d.keyPem);
    expect(o.accepted).toBe(false);
    expect(o.detail).toMatch(alert);
  });

  it("honours a CRL from `herd pki crl` as mosquitto's crlfile", async () => {
    const healthy = [...Array(store.count).keys()]
      .filter((i) => store.fault(i) === undefined)
      .slice(0, 2)
      .map((i) => store.device(i));
    const [revoked, kept] = healthy;
    if (!revoked || !kept) throw new Error('not enough healthy devices');
    const crl = join(dir, 'ops.crl.pem');
    expect(
      herd('pki', 'crl', '--ca', pki, '--store', join(dir, 'devices.herd'), '--revoke', revoked.id, '--out', crl),
    ).toContain('1 revoked');
    const b = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
      crlfile: crl,
    });
    try {
      expect((await connect(b.port, store.caCertPem, kept.id, kept.certPem, kept.keyPem)).accepted).toBe(true);
      const o = await connect(b.port, store.caCertPem, revoked.id, revoked.certPem, revoked.keyPem);
      expect(o.accepted).toBe(false);
      expect(o.detail).toMatch(/alert certificate revoked/i);
    } finally {
      await b.stop();
    }
  });
});
