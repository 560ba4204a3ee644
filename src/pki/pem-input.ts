/**
 * PEM input files, checked: a certificate where a certificate is expected, a private key
 * where a key is, and every problem an InputError (exit 2) that names the file and says what
 * it holds instead (binary data, a key for a certificate, a DER file, nothing at all).
 */
import crypto from 'node:crypto';
import { InputError } from '../errors.js';
import { pem, unpem } from './der.js';
import { readInput } from './files.js';
import { describeKey } from './signer.js';

function kindOf(label: string): string {
  if (label.endsWith('PRIVATE KEY')) return 'a private key';
  if (label.endsWith('PUBLIC KEY')) return 'a public key';
  const known: Record<string, string> = {
    CERTIFICATE: 'a certificate',
    'X509 CRL': 'a CRL',
    'CERTIFICATE REQUEST': 'a certificate request',
  };
  return known[label] ?? `a "${label}" block`;
}

/** What the file holds, for a message: its PEM block kinds, binary data, or text that is not PEM. */
function holds(file: string, buf: Buffer): string {
  if (buf.length === 0) return 'it is empty';
  const labels = [...buf.toString('latin1').matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => kindOf(m[1]!));
  if (labels.length > 0) return `it holds ${[...new Set(labels)].join(' and ')}`;
  if (isBinary(buf)) {
    try {
      new crypto.X509Certificate(buf);
      return `it is a DER certificate; convert it with: openssl x509 -inform der -in ${file} -out ${file}.pem`;
    } catch {
      return 'it holds binary data';
    }
  }
  return 'it holds no "-----BEGIN" line';
}

function isBinary(buf: Buffer): boolean {
  const head = buf.subarray(0, 4096);
  let odd = 0;
  for (const b of head) if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) odd++;
  return odd > 0 || !isUtf8(head);
}

function isUtf8(buf: Buffer): boolean {
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/** The certificates of a PEM file (at least one), each checked to be X.509. */
function parseCertificates(file: string, buf: Buffer, what: string): crypto.X509Certificate[] {
  const text = buf.toString('utf8');
  const ders = isBinary(buf) ? [] : unpem(text, 'CERTIFICATE');
  if (ders.length === 0)
    throw new InputError({ file }, `is not a PEM certificate (${holds(file, buf)}); expected ${what}`);
  return ders.map((der, n) => {
    try {
      return new crypto.X509Certificate(der);
    } catch (e) {
      const which = ders.length > 1 ? ` (certificate ${n + 1} of ${ders.length})` : '';
      throw new InputError({ file }, `is not a valid X.509 certificate${which}: the PEM block is damaged`, {
        cause: e,
      });
    }
  });
}

export interface CertificateFile {
  file: string;
  /** Every certificate of the file (a chain or a bundle), as clean PEM. */
  pem: string;
  /** The first certificate. */
  cert: crypto.X509Certificate;
}

/** A certificate file (one, or a chain). `what` says what it is for: "the CA certificate". */
export function readCertificatePem(file: string, what: string): CertificateFile {
  const certs = parseCertificates(file, readInput(file), what);
  return { file, pem: certs.map((c) => pem('CERTIFICATE', c.raw)).join(''), cert: certs[0]! };
}

export interface PrivateKeyFile {
  file: string;
  key: crypto.KeyObject;
  /** The key as PKCS#8 PEM. */
  pem: string;
}

/** An unencrypted private key (PKCS#8, or a traditional RSA or EC key). */
export function readPrivateKeyPem(file: string, what = 'a private key'): PrivateKeyFile {
  const buf = readInput(file);
  const text = isBinary(buf) ? '' : buf.toString('utf8');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    throw new InputError({ file }, 'is an encrypted private key (herd needs it unencrypted)');
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text))
    throw new InputError({ file }, `is not a PEM private key (${holds(file, buf)}); expected ${what}`);
  try {
    const key = crypto.createPrivateKey(text);
    return { file, key, pem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
  } catch (e) {
    throw new InputError({ file }, 'is not a PEM private key: the PEM block is damaged or of an unknown kind', {
      cause: e,
    });
  }
}

/** Throws unless `key` is the private half of `cert`'s public key (`certName` names it in the message). */
export function checkKeyMatches(
  cert: CertificateFile,
  key: PrivateKeyFile,
  certName = `the certificate ${cert.file}`,
): void {
  let ok: boolean;
  try {
    ok = cert.cert.checkPrivateKey(key.key);
  } catch {
    ok = false;
  }
  if (!ok) throw new InputError({ file: key.file }, `does not match ${certName} (key is ${describeKey(key.key)})`);
}

/** Throws unless the certificate is a CA's (basicConstraints CA:TRUE). */
export function checkIsCa(c: CertificateFile): void {
  if (!c.cert.ca)
    throw new InputError(
      { file: c.file },
      `is not a CA certificate (no basicConstraints CA:TRUE; subject ${c.cert.subject.replace(/\n/g, ', ')})`,
    );
}

/**
 * `herd run --server-ca FILE`: the certificates a run trusts for the broker (one or a
 * bundle), as clean PEM. Throws an InputError naming the file when it is unreadable, not
 * PEM, a key, or a damaged certificate.
 */
export function readServerCaPem(file: string): string {
  return readCertificatePem(file, "the CA that signed the broker's certificate").pem;
}
