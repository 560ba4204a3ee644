/** A CRL signed by the CA, in the form mosquitto (OpenSSL) loads as its `crlfile`. */
import { pem, uint } from './der.js';
import { loadCa, validityFrom, type LoadedCa } from './ca.js';
import { InputError } from '../errors.js';
import { checkWritable, readInputText, writeOutput, MODE_PUBLIC } from './files.js';
import { DEFAULTS } from './profile.js';

export interface CrlOptions {
  ca: string | LoadedCa;
  /** Serial numbers to revoke, hex. */
  serials: readonly string[];
  days?: number;
}

async function createCrl(o: CrlOptions): Promise<string> {
  const ca = typeof o.ca === 'string' ? loadCa(o.ca) : o.ca;
  const { importPrivateKey, signingAlgorithm, x509 } = await import('./x509.js');
  const { notBefore: thisUpdate, notAfter: nextUpdate } = validityFrom(o.days ?? DEFAULTS.crlDays);
  const number = uint(
    Buffer.from(
      Math.floor(Date.now() / 1000)
        .toString(16)
        .padStart(12, '0'),
      'hex',
    ),
  );
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.X509Certificate(ca.cert.raw).subjectName,
    thisUpdate,
    nextUpdate,
    entries: [...new Set(o.serials.map((s) => s.toLowerCase()))].map((serialNumber) => ({
      serialNumber,
      revocationDate: thisUpdate,
      reason: x509.X509CrlReason.keyCompromise,
    })),
    extensions: [
      new x509.AuthorityKeyIdentifierExtension(ca.parts.keyId.toString('hex')),
      new x509.Extension('2.5.29.20', false, number), // CRL number
    ],
    signingKey: await importPrivateKey(ca.key),
    signingAlgorithm: signingAlgorithm(ca.key),
  });
  return pem('X509 CRL', new Uint8Array(crl.rawData)); // the label OpenSSL reads
}

export async function writeCrl(path: string, o: CrlOptions & { force?: boolean }): Promise<string> {
  checkWritable([path], o.force ?? false);
  const text = await createCrl(o);
  writeOutput(path, text, MODE_PUBLIC);
  return path;
}

/** The serial numbers (hex) revoked by an existing CRL file, which must be this CA's. */
export async function readCrlSerials(path: string, ca: LoadedCa): Promise<string[]> {
  const text = readInputText(path);
  const { x509 } = await import('./x509.js');
  let crl: InstanceType<typeof x509.X509Crl>;
  try {
    crl = new x509.X509Crl(text);
  } catch (e) {
    throw new InputError({ file: path }, 'is not a PEM CRL', { cause: e });
  }
  const ok = await crl.verify({ publicKey: new x509.X509Certificate(ca.cert.raw) }).catch(() => false);
  if (!ok) throw new InputError({ file: path }, `is not a CRL signed by ${ca.certPath}`);
  return crl.entries.map((e) => e.serialNumber.toLowerCase());
}
