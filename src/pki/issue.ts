/**
 * Single certificates signed by a CA: the broker's (`herd pki server`, through
 * @peculiar/x509) and one device's (`herd pki device`, through the mint's own template:
 * a device is a mint of one, with a random key).
 */
import { join } from 'node:path';
import { loadCa, validityFrom, type LoadedCa, type WrittenFiles } from './ca.js';
import { pem } from './der.js';
import { issueDeviceCert, randomDeviceKey } from './device-cert.js';
import { checkWritable, writeOutputs } from './files.js';
import type { KeyKind } from './keys.js';
import { checkCountry, checkDeviceId, checkDomain, checkIp, checkNameValue, DEFAULTS } from './profile.js';
import { createSigner } from './signer.js';
import type { JsonGeneralNames, JsonName } from '@peculiar/x509';

interface IssueBase {
  /** A CA directory, or one already loaded. */
  ca: string | LoadedCa;
  out: string;
  key?: KeyKind;
  force?: boolean;
}

export interface ServerOptions extends IssueBase {
  dns?: string[];
  ip?: string[];
  cn?: string;
  org?: string;
  country?: string;
  days?: number;
}

export interface DeviceOptions extends IssueBase {
  deviceId: string;
  uriDomain?: string;
  org?: string;
  country?: string;
}

interface Leaf {
  ca: LoadedCa;
  subject: JsonName;
  keyKind: KeyKind;
  notBefore: Date;
  notAfter: Date;
  eku: 'serverAuth' | 'clientAuth';
  san: JsonGeneralNames;
}

async function issue(l: Leaf): Promise<{ certPem: string; keyPem: string }> {
  const { exportPkcs8Pem, generateKeyPair, importPrivateKey, randomSerial, signingAlgorithm, x509 } =
    await import('./x509.js');
  const keys = await generateKeyPair(l.keyKind);
  const caCert = new x509.X509Certificate(l.ca.cert.raw);
  let usages = x509.KeyUsageFlags.digitalSignature;
  if (l.keyKind === 'rsa2048') usages |= x509.KeyUsageFlags.keyEncipherment; // TLS 1.2 RSA key exchange
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: l.subject,
    issuer: caCert.subjectName,
    notBefore: l.notBefore,
    notAfter: l.notAfter,
    publicKey: keys.publicKey,
    signingKey: await importPrivateKey(l.ca.key),
    signingAlgorithm: signingAlgorithm(l.ca.key),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage[l.eku]]),
      new x509.SubjectAlternativeNameExtension(l.san),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.AuthorityKeyIdentifierExtension(l.ca.parts.keyId.toString('hex')),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPkcs8Pem(keys.privateKey) };
}

const loaded = (ca: string | LoadedCa): LoadedCa => (typeof ca === 'string' ? loadCa(ca) : ca);

/** `server.crt` + `server.key`: SAN DNS and IP as given, EKU serverAuth. */
export async function issueServer(o: ServerOptions): Promise<WrittenFiles> {
  const dns = (o.dns ?? ['localhost']).map((d) => checkDomain(d, '--dns'));
  const ip = (o.ip ?? ['127.0.0.1']).map((a) => checkIp(a));
  const cn = checkNameValue(o.cn ?? dns[0] ?? DEFAULTS.serverCn, '--cn');
  const org = checkNameValue(o.org ?? DEFAULTS.org, '--org');
  const country = checkCountry(o.country ?? DEFAULTS.country);
  const ca = loaded(o.ca);
  const paths = [join(o.out, 'server.crt'), join(o.out, 'server.key')] as const;
  checkWritable(paths, o.force ?? false);
  const v = validityFrom(o.days ?? DEFAULTS.serverDays);
  const notAfter = new Date(Math.min(v.notAfter.getTime(), ca.parts.notAfter.getTime()));
  const r = await issue({
    ca,
    keyKind: o.key ?? 'p256',
    notBefore: v.notBefore,
    notAfter,
    eku: 'serverAuth',
    subject: [{ C: [country] }, { O: [org] }, { CN: [cn] }],
    san: [
      ...dns.map((value) => ({ type: 'dns' as const, value })),
      ...ip.map((value) => ({ type: 'ip' as const, value })),
    ],
  });
  const files = writeOutputs(
    [
      { path: paths[0], data: r.certPem, secret: false },
      { path: paths[1], data: r.keyPem, secret: true },
    ],
    o.force ?? false,
  );
  return { files, certPem: r.certPem };
}

/**
 * `<id>.crt` + `<id>.key`: the device profile, valid for the CA's validity window, byte for
 * byte the certificate `herd pki mint` gives a device of this id (but for key and serial).
 */
export function issueDevice(o: DeviceOptions): Promise<WrittenFiles> {
  const id = checkDeviceId(o.deviceId);
  const names = {
    uriDomain: checkDomain(o.uriDomain ?? DEFAULTS.uriDomain, '--uri-domain'),
    org: checkNameValue(o.org ?? DEFAULTS.org, '--org'),
    country: checkCountry(o.country ?? DEFAULTS.country),
  };
  const ca = loaded(o.ca);
  const paths = [join(o.out, `${id}.crt`), join(o.out, `${id}.key`)] as const;
  checkWritable(paths, o.force ?? false);
  const kind = o.key ?? 'p256';
  const key = randomDeviceKey(kind);
  const certPem = pem('CERTIFICATE', issueDeviceCert(ca.parts, createSigner(ca.key), names, id, key, kind));
  const files = writeOutputs(
    [
      { path: paths[0], data: certPem, secret: false },
      { path: paths[1], data: pem('PRIVATE KEY', key.pkcs8), secret: true },
    ],
    o.force ?? false,
  );
  return Promise.resolve({ files, certPem });
}
