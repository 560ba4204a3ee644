/**
 * @peculiar/x509 wired to Node's WebCrypto, and key conversions between the two worlds.
 * Used for the CA, server and single device certificates and for CRLs; bulk minting
 * does not touch it (see minter.ts).
 */
import 'reflect-metadata';
import crypto, { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { KeyKind } from './keys.js';
import { curveByOpensslName } from './ecdsa.js';
import { pem } from './der.js';

x509.cryptoProvider.set(webcrypto);

export { x509 };
export type WebKey = webcrypto.CryptoKey;
export interface WebKeyPair {
  privateKey: WebKey;
  publicKey: WebKey;
}

const RSA_PARAMS = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

function generateParams(
  kind: KeyKind,
): webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams | webcrypto.Algorithm {
  switch (kind) {
    case 'p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'rsa2048':
      return { ...RSA_PARAMS, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

export async function generateKeyPair(kind: KeyKind): Promise<WebKeyPair> {
  return (await webcrypto.subtle.generateKey(generateParams(kind), true, ['sign', 'verify'])) as WebKeyPair;
}

/** The WebCrypto algorithm of a Node key (RSA keys sign with SHA-256, EC with its curve's hash). */
function webAlgorithm(
  key: crypto.KeyObject,
): webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams | webcrypto.Algorithm {
  if (key.asymmetricKeyType === 'rsa') return RSA_PARAMS;
  if (key.asymmetricKeyType === 'ed25519') return { name: 'Ed25519' };
  const c = curveByOpensslName(key.asymmetricKeyDetails?.namedCurve);
  if (key.asymmetricKeyType !== 'ec' || !c) throw new Error(`unsupported key type ${String(key.asymmetricKeyType)}`);
  return { name: 'ECDSA', namedCurve: c.name };
}

/** The signing algorithm for certificates and CRLs signed by this key. */
export function signingAlgorithm(key: crypto.KeyObject): webcrypto.EcdsaParams | webcrypto.Algorithm {
  if (key.asymmetricKeyType === 'ec') {
    const c = curveByOpensslName(key.asymmetricKeyDetails?.namedCurve);
    return {
      name: 'ECDSA',
      hash: c?.hash === 'sha384' ? 'SHA-384' : c?.hash === 'sha512' ? 'SHA-512' : 'SHA-256',
    };
  }
  return webAlgorithm(key);
}

export async function importPrivateKey(key: crypto.KeyObject): Promise<WebKey> {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, webAlgorithm(key), false, ['sign']);
}

export async function exportPkcs8Pem(key: WebKey): Promise<string> {
  return pem('PRIVATE KEY', new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', key)));
}

/** A random positive 16-byte serial number, as hex. */
export function randomSerial(): string {
  const b = crypto.randomBytes(16);
  b[0] = 0x40 | (b[0]! & 0x3f);
  return b.toString('hex');
}
