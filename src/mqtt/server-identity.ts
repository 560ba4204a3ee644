/**
 * The server's certificate at a herd's scale. Once the server's chain verifies, Node's TLS
 * client calls `this.getPeerCertificate(true)` and then `checkServerIdentity(host, cert)` on
 * every full handshake (lib/_tls_wrap.js, onConnectSecure). The detailed form walks and
 * converts the whole chain, decoding each public key (~0.4 ms per handshake with OpenSSL 3.0
 * on a small machine) — and a herd's thousands of connections meet the same few server
 * certificates. So a socket of ours answers the detailed form from a per-thread cache keyed by
 * the server certificate's SHA-256 fingerprint, read from the brief form (~0.05 ms). Node's
 * own name check still runs on every handshake (it costs ~2 µs), and the chain is verified by
 * OpenSSL every time, before any of this.
 */
import tls from 'node:tls';

const CACHE_MAX = 256;
const detailed = new Map<string, tls.DetailedPeerCertificate>();
const proto = tls.TLSSocket.prototype;

let detailedLookups = 0;

/** Calls to Node's own detailed getPeerCertificate made here so far, in this thread (for tests). */
export function detailedLookupCount(): number {
  return detailedLookups;
}

/** Installed as an own property of each TLS socket we open (same contract as Node's method). */
function cachedPeerCertificate(this: tls.TLSSocket, full?: boolean): tls.PeerCertificate | tls.DetailedPeerCertificate {
  const brief: tls.PeerCertificate = proto.getPeerCertificate.call(this, false);
  if (full !== true) return brief;
  const key = brief?.fingerprint256;
  if (typeof key !== 'string' || key === '') return proto.getPeerCertificate.call(this, true);
  let cert = detailed.get(key);
  if (cert === undefined) {
    detailedLookups++;
    cert = proto.getPeerCertificate.call(this, true) as tls.DetailedPeerCertificate;
    if (detailed.size >= CACHE_MAX) detailed.clear(); // a herd meets a few certificates; never grow without bound
    detailed.set(key, cert);
  }
  return cert;
}

/** Makes a just-opened TLS socket answer the detailed peer certificate from the cache. */
export function useCachedPeerCertificate(s: tls.TLSSocket): void {
  s.getPeerCertificate = cachedPeerCertificate as tls.TLSSocket['getPeerCertificate'];
}
