/**
 * Per-device credentials without a TLS context per device. A thread keeps one SecureContext
 * with what every device shares (the CA trusted for the server, TLS versions, groups,
 * ciphers) and sets the device's certificate and key on it just before that device's
 * tls.connect: OpenSSL's SSL_new copies the context's certificate and key into the new
 * connection, so each connection keeps its own while the context moves on to the next device.
 * Devices without a certificate use a second shared context that never holds one.
 *
 * That copy is OpenSSL behaviour Node does not document, so it is checked before use
 * (sharedContextsWork): two sockets made from one context with different certificates must
 * each report their own. When it fails, prepareDevice builds a context per device as before.
 */
import tls from 'node:tls';
import { PROBE_IDENTITIES } from './probe-identities.js';

/** Node's native context: what `tls.SecureContext.context` is, for the two calls used here. */
interface NativeContext {
  setCert(pem: string | Buffer): void;
  setKey(pem: string | Buffer, passphrase?: string): void;
}

const native = (c: tls.SecureContext): NativeContext | undefined => {
  const n = (c as { context?: Partial<NativeContext> }).context;
  return typeof n?.setCert === 'function' && typeof n.setKey === 'function' ? (n as NativeContext) : undefined;
};

let works: boolean | undefined;

/**
 * Whether connections copy the certificate and key their context holds when they are made
 * (checked once per thread, without any network: two TLSSockets that are never connected).
 */
export function sharedContextsWork(): boolean {
  if (works !== undefined) return works;
  works = false;
  try {
    const ctx = tls.createSecureContext({});
    const n = native(ctx);
    if (n === undefined) return works;
    const ids = PROBE_IDENTITIES;
    const sockets = ids.map(({ cert, key }) => {
      n.setCert(cert);
      n.setKey(key);
      return new tls.TLSSocket(null as never, { secureContext: ctx });
    });
    const seen = sockets.map((s) => (s.getCertificate() as tls.PeerCertificate | null)?.subject?.CN);
    for (const s of sockets) s.destroy();
    works = seen.length === ids.length && seen.every((cn, i) => cn === ids[i]!.cn);
  } catch {
    works = false;
  }
  return works;
}

/**
 * A thread's shared contexts: one that takes each device's certificate and key in turn,
 * one with none (devices given no certificate). Built once, used for every connect.
 */
export class SharedContexts {
  private readonly withCert: tls.SecureContext;
  private readonly withCertNative: NativeContext;
  private readonly noCert: tls.SecureContext;

  /** `options`: what every device's context holds (device.ts contextOptions) */
  constructor(options: tls.SecureContextOptions) {
    this.withCert = tls.createSecureContext(options);
    this.withCertNative = native(this.withCert)!;
    this.noCert = tls.createSecureContext(options);
  }

  /**
   * The context to connect with right now, holding this device's certificate and key (none
   * when it has none). Valid until the next call: pass it straight to tls.connect. Throws
   * what OpenSSL throws for a certificate or key it cannot load (or that do not match).
   */
  forConnect(certPem: string | Buffer | undefined, keyPem: string | Buffer | undefined): tls.SecureContext {
    if (certPem === undefined && keyPem === undefined) return this.noCert;
    if (certPem === undefined || keyPem === undefined)
      throw new Error('a client certificate needs its key, and a key its certificate');
    this.withCertNative.setCert(certPem);
    this.withCertNative.setKey(keyPem);
    return this.withCert;
  }
}
