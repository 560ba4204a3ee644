/**
 * A CA: created here (`herd pki ca`), or a user's own `ca.crt` + `ca.key` (RSA or EC), checked.
 * @peculiar/x509 is loaded only to create certificates, so opening a CA or a store stays cheap.
 */
import crypto from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { certParts, type CertParts } from './cert-parts.js';
import { pem } from './der.js';
import { checkWritable, writeOutputs } from './files.js';
import type { KeyKind } from './keys.js';
import { checkCountry, checkNameValue, DEFAULTS } from './profile.js';
import { checkIsCa, checkKeyMatches, readCertificatePem, readPrivateKeyPem } from './pem-input.js';
import { unsupportedKey } from './signer.js';

const CA_CERT = 'ca.crt';
const CA_KEY = 'ca.key';

export interface CaOptions {
  out: string;
  cn?: string;
  org?: string;
  country?: string;
  key?: KeyKind;
  days?: number;
  force?: boolean;
}

export interface WrittenFiles {
  /** Paths written, certificates first. */
  files: string[];
  certPem: string;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Validity starts an hour back (clock skew between machines), on a whole second. */
export function validityFrom(days: number, now = Date.now()): { notBefore: Date; notAfter: Date } {
  const nb = Math.floor((now - HOUR) / 1000) * 1000;
  return { notBefore: new Date(nb), notAfter: new Date(nb + days * DAY) };
}

export async function createCa(o: CaOptions): Promise<WrittenFiles> {
  const cn = checkNameValue(o.cn ?? DEFAULTS.caCn, '--cn');
  const org = checkNameValue(o.org ?? DEFAULTS.org, '--org');
  const country = checkCountry(o.country ?? DEFAULTS.country);
  const certPath = join(o.out, CA_CERT);
  const keyPath = join(o.out, CA_KEY);
  checkWritable([certPath, keyPath], o.force ?? false);
  const { exportPkcs8Pem, generateKeyPair, randomSerial, signingAlgorithm, x509 } = await import('./x509.js');
  const keys = await generateKeyPair(o.key ?? 'p256');
  const signing = crypto.KeyObject.from(keys.privateKey);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ C: [country] }, { O: [org] }, { CN: [cn] }],
    ...validityFrom(o.days ?? DEFAULTS.caDays),
    keys,
    signingAlgorithm: signingAlgorithm(signing),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  const files = writeOutputs(
    [
      { path: certPath, data: certPem, secret: false },
      { path: keyPath, data: await exportPkcs8Pem(keys.privateKey), secret: true },
    ],
    o.force ?? false,
  );
  return { files, certPem };
}

export interface LoadedCa {
  dir: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
  cert: crypto.X509Certificate;
  key: crypto.KeyObject;
  parts: CertParts;
}

/**
 * A CA directory: `ca.crt` must be a CA certificate and `ca.key` its private key (RSA,
 * EC P-256/384/521 or Ed25519). Every problem names the file it is about.
 */
export function loadCa(dir: string): LoadedCa {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new InputError({ file: dir }, 'not found (expected a CA directory with ca.crt and ca.key)');
  }
  if (!isDir)
    throw new InputError({ file: dir }, 'is not a directory (expected a CA directory with ca.crt and ca.key)');
  const certPath = join(dir, CA_CERT);
  const keyPath = join(dir, CA_KEY);
  const certFile = readCertificatePem(certPath, 'the CA certificate');
  const keyFile = readPrivateKeyPem(keyPath, "the CA's private key");
  const { cert } = certFile;
  checkIsCa(certFile);
  const { key } = keyFile;
  const why = unsupportedKey(key);
  if (why) throw new InputError({ file: keyPath }, why);
  checkKeyMatches(certFile, keyFile);
  let parts: CertParts;
  try {
    parts = certParts(cert.raw);
  } catch (e) {
    throw new InputError({ file: certPath }, `cannot be used: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  const certPem = pem('CERTIFICATE', cert.raw);
  return {
    dir,
    certPath,
    keyPath,
    certPem,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert,
    key,
    parts,
  };
}
