/**
 * The TLS knobs a run sets for every device — ALPN protocols, key exchange groups, cipher
 * suites, the server name — checked before the run, so a typo is a usage error naming the
 * flag or the scenario key, not every attempt failing with tls_local_config.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';

/** What is wrong with an ALPN protocol list; undefined when it is usable. */
export function alpnProblem(list: readonly string[]): string | undefined {
  if (list.length === 0) return 'expected at least one protocol, like x-amzn-mqtt-ca or mqtt';
  for (const p of list) {
    const bytes = Buffer.byteLength(p);
    if (bytes === 0 || bytes > 255) return `"${p}": an ALPN protocol is 1 to 255 bytes`;
    if (!/^[\x21-\x7e]+$/.test(p)) return `"${p}": expected printable ASCII without spaces`;
  }
  if (new Set(list).size !== list.length) return 'a protocol is listed twice';
  return undefined;
}

/** What is wrong with a group list (X25519:P-256:P-384, OpenSSL's names); undefined when OpenSSL takes it. */
export function groupsProblem(groups: string): string | undefined {
  try {
    tls.createSecureContext({ ecdhCurve: groups });
    return undefined;
  } catch {
    return `OpenSSL knows no such group list "${groups}": expected names like X25519:P-256:P-384, colon-separated`;
  }
}

/** What is wrong with a cipher list (OpenSSL's TLS 1.2 names and/or TLS 1.3 suites); undefined when usable. */
export function ciphersProblem(ciphers: string): string | undefined {
  try {
    tls.createSecureContext({ ciphers });
    return undefined;
  } catch {
    return (
      `OpenSSL matches no cipher in "${ciphers}": expected TLS 1.3 suites like TLS_AES_128_GCM_SHA256 ` +
      'and/or TLS 1.2 names like ECDHE-ECDSA-AES128-GCM-SHA256, colon-separated'
    );
  }
}

/**
 * What is wrong with a TLS server name: an IP address cannot be one (RFC 6066; Node would
 * warn and send none). Without a server name an IP target is checked against the
 * certificate's IP SANs.
 */
export function servernameProblem(name: string): string | undefined {
  if (isIP(name) !== 0)
    return (
      `"${name}" is an IP address, which cannot be a TLS server name (RFC 6066): ` +
      "leave it out and the target's IP is checked against the certificate's IP SANs"
    );
  if (!/^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name)) return `"${name}" is not a host name`;
  return undefined;
}
