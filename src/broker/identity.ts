/**
 * Tying the MQTT client id to the client certificate, as IoT brokers do:
 * - `cn`: the client id must equal the subject CN (the contract's device certificate has
 *   CN=<device id>; mosquitto's use_identity_as_username uses the same field);
 * - `spiffe`: the first URI SAN must be spiffe://<domain>/device/<client id> — what
 *   amqtt's CertificateAuthPlugin checks;
 * - `none`: any client id (the certificate is still verified against the CA).
 */
import type { TLSSocket } from 'node:tls';

export type IdentityMode = 'cn' | 'spiffe' | 'none';

export interface PeerIdentity {
  cn: string | undefined;
  /** URI SANs, in certificate order */
  uris: string[];
}

export function peerIdentity(socket: TLSSocket): PeerIdentity {
  const cert = socket.getPeerCertificate(false);
  const rawCn: unknown = cert?.subject?.CN;
  const cn = typeof rawCn === 'string' ? rawCn : undefined; // several CNs: no single identity
  const uris: string[] = [];
  const san = cert?.subjectaltname;
  if (typeof san === 'string') {
    for (const part of san.split(', ')) {
      if (part.startsWith('URI:')) uris.push(part.slice(4));
    }
  }
  return { cn, uris };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `clientId` may connect with this certificate identity. */
export function identityMatches(
  mode: IdentityMode,
  id: PeerIdentity | undefined,
  clientId: string,
  uriDomain = 'herd.local',
): boolean {
  if (mode === 'none') return true;
  if (id === undefined) return false;
  if (mode === 'cn') return id.cn !== undefined && id.cn === clientId;
  const first = id.uris[0];
  if (first === undefined) return false;
  const m = new RegExp(`^spiffe://${escapeRe(uriDomain)}/device/([^/]+)$`).exec(first);
  return m !== null && m[1] === clientId;
}
