/**
 * A CA key as a certificate signer whose signatures are a pure function of the key and
 * the message: RSA PKCS#1 v1.5 and Ed25519 are deterministic by design; ECDSA uses the
 * RFC 6979 nonce of ecdsa.ts.
 */
import crypto from 'node:crypto';
import { children, oid, read, seq, TAG } from './der.js';
import { curveByOpensslName, DeterministicEcdsa } from './ecdsa.js';

export interface Signer {
  /** Signature AlgorithmIdentifier DER (in the TBS and around the signature). */
  readonly algorithm: Buffer;
  /** Signatures (BIT STRING contents) of TBS certificates. */
  sign(tbs: readonly Buffer[]): Buffer[];
  /** Checks a signature with the public half (a guard against a bug, not a policy). */
  verify(tbs: Buffer, sig: Buffer): boolean;
}

const NULL = Buffer.from([TAG.null, 0]);

/** A human name for the key, for messages: "EC P-256", "RSA 2048", "Ed25519". */
export function describeKey(key: crypto.KeyObject): string {
  const d = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      return `EC ${curveByOpensslName(d?.namedCurve)?.name ?? d?.namedCurve ?? '?'}`;
    case 'rsa':
      return `RSA ${d?.modulusLength ?? '?'}`;
    case 'ed25519':
      return 'Ed25519';
    default:
      return String(key.asymmetricKeyType);
  }
}

/** Why this key cannot sign certificates here, or undefined when it can. */
export function unsupportedKey(key: crypto.KeyObject): string | undefined {
  const t = key.asymmetricKeyType;
  if (t === 'rsa' || t === 'ed25519') return undefined;
  if (t === 'ec')
    return curveByOpensslName(key.asymmetricKeyDetails?.namedCurve)
      ? undefined
      : `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '?'} is not supported (use P-256, P-384 or P-521)`;
  return `${String(t)} keys are not supported (use RSA, EC P-256/P-384/P-521 or Ed25519)`;
}

/** The private scalar of an EC key, from its PKCS#8 DER. */
function ecScalar(key: crypto.KeyObject): Buffer {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const [, , inner] = children(read(der));
  if (!inner) throw new Error('PKCS#8: no private key');
  const ecPriv = children(read(inner.value));
  const priv = ecPriv[1];
  if (!priv || priv.tag !== TAG.octetString) throw new Error('ECPrivateKey: no scalar');
  return Buffer.from(priv.value);
}

export function createSigner(key: crypto.KeyObject): Signer {
  const why = unsupportedKey(key);
  if (why) throw new Error(why);
  const pub = crypto.createPublicKey(key);
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return {
        algorithm: seq(oid('1.2.840.113549.1.1.11'), NULL),
        sign: (tbs) => tbs.map((t) => crypto.sign('sha256', t, key)),
        verify: (t, sig) => crypto.verify('sha256', t, pub, sig),
      };
    case 'ed25519':
      return {
        algorithm: seq(oid('1.3.101.112')),
        sign: (tbs) => tbs.map((t) => crypto.sign(null, t, key)),
        verify: (t, sig) => crypto.verify(null, t, pub, sig),
      };
    default: {
      const curve = curveByOpensslName(key.asymmetricKeyDetails?.namedCurve)!;
      return ecdsaSigner(new DeterministicEcdsa(curve, ecScalar(key)), pub);
    }
  }
}

/** An ECDSA signer from a scalar (the CA's, or a throw-away CA's derived from a seed). */
export function ecdsaSigner(ecdsa: DeterministicEcdsa, pub: crypto.KeyObject): Signer {
  const { curve } = ecdsa;
  return {
    algorithm: seq(oid(curve.sigOid)),
    sign: (tbs) => ecdsa.signDigests(tbs.map((t) => crypto.createHash(curve.hash).update(t).digest())),
    verify: (t, sig) => crypto.verify(curve.hash, t, { key: pub, dsaEncoding: 'der' }, sig),
  };
}
