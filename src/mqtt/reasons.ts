/**
 * Failure classification: what went wrong with an attempt, as a phase and a reason from
 * the contract's closed list (src/model/names.ts). Pure functions over error codes and
 * MQTT reason codes, so the whole table is unit-tested.
 */
import type { FailurePhase, FailureReason } from '../model/names.js';

/**
 * Reasons the driver needs that the closed list does not have yet (proposed for
 * src/model/names.ts): a SUBACK or PINGRESP that never came, a v5 server DISCONNECT
 * (`disconnect_<reason name>`), an unreachable network, and an error nothing else names.
 */
type ProposedReason =
  'subscribe_timeout' | 'ping_timeout' | 'tcp_unreachable' | 'unclassified' | `disconnect_${string}`;
export type DriverReason = FailureReason | ProposedReason;

/** Where an attempt (or a held connection) is when something happens. */
export type DriverState = 'tcp' | 'tls' | 'ws' | 'connack' | 'subscribe' | 'session';

/** TLS alert numbers (RFC 8446 §6 and the IANA registry) by name. */
const TLS_ALERTS: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  30: 'decompression_failure',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  60: 'export_restriction',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  111: 'certificate_unobtainable',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  114: 'bad_certificate_hash_value',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};
const ALERT_NAMES = new Set(Object.values(TLS_ALERTS));
const ALERT_ALIASES: Record<string, string> = { user_cancelled: 'user_canceled' };

/**
 * The alert the peer sent, from OpenSSL's error code as Node reports it
 * (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED, ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE,
 * ERR_SSL_TLSV1_UNRECOGNIZED_NAME, …) or, failing that, "SSL alert number N" in the message.
 */
export function tlsAlertName(code: string | undefined, message?: string): string | null {
  if (code !== undefined) {
    const m = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_(?:ALERT_)?([A-Z_]+)$/.exec(code);
    if (m) {
      const raw = m[1]!.toLowerCase();
      const name = ALERT_ALIASES[raw] ?? raw;
      if (ALERT_NAMES.has(name)) return name;
    }
  }
  if (message !== undefined) {
    const n = /SSL alert number (\d+)/.exec(message);
    if (n) return TLS_ALERTS[Number(n[1])] ?? `alert_${n[1]}`;
  }
  return null;
}

/** The client's own verification of the server certificate failed (Node's codes). */
const SERVER_UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_CRL',
  'CRL_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_SIGNATURE_FAILURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
]);

/** Our own TLS configuration is unusable (bad key, key/cert mismatch, no common version). */
function isLocalConfig(code: string): boolean {
  return (
    code.startsWith('ERR_OSSL_') ||
    code === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE' ||
    code === 'ERR_TLS_INVALID_PROTOCOL_VERSION' ||
    code === 'ERR_TLS_PROTOCOL_VERSION_CONFLICT' ||
    code === 'ERR_SSL_EE_KEY_TOO_SMALL' ||
    code === 'ERR_SSL_CA_MD_TOO_WEAK' ||
    code === 'ERR_SSL_KEY_VALUES_MISMATCH' ||
    code === 'ERR_SSL_NO_SHARED_CIPHER' ||
    code === 'ERR_INVALID_ARG_TYPE' ||
    code === 'ERR_INVALID_ARG_VALUE'
  );
}

export interface Classified {
  phase: FailurePhase;
  reason: DriverReason;
}

const PHASE_OF_STATE: Record<DriverState, FailurePhase> = {
  tcp: 'tcp',
  tls: 'tls',
  ws: 'ws',
  connack: 'connack',
  subscribe: 'subscribe',
  session: 'session',
};

/** Our own per-phase deadline passed (in `session`: no PINGRESP in time). */
export function classifyTimeout(state: DriverState): Classified {
  const reason: DriverReason =
    state === 'tcp'
      ? 'tcp_timeout'
      : state === 'tls'
        ? 'tls_timeout'
        : state === 'ws'
          ? 'ws_timeout'
          : state === 'connack'
            ? 'connack_timeout'
            : state === 'subscribe'
              ? 'subscribe_timeout'
              : 'ping_timeout';
  return { phase: PHASE_OF_STATE[state], reason };
}

/**
 * A socket error. `state` is where the attempt was; `tls13` and `accepted` (the server
 * showed it accepted the certificate) disambiguate a reset right after a TLS 1.3
 * handshake (see classifyClose).
 * Anything TLS-level before the connection is established belongs to the `tls` phase,
 * even when it arrives after the client's secureConnect: in TLS 1.3 the server verifies
 * the client certificate after that event and its alert comes with the first read.
 */
export function classifyError(
  err: { code?: string | undefined; message?: string },
  state: DriverState,
  tls13 = false,
  accepted = false,
): Classified {
  const code = err.code ?? '';
  const tlsPhase: FailurePhase = state === 'session' ? 'session' : 'tls';
  const alert = tlsAlertName(code, err.message);
  if (alert !== null)
    return { phase: tlsPhase, reason: alert === 'close_notify' ? 'tls_closed' : `tls_alert_${alert}` };
  if (SERVER_UNTRUSTED.has(code)) return { phase: tlsPhase, reason: 'tls_server_untrusted' };
  if (isLocalConfig(code)) return { phase: tlsPhase, reason: 'tls_local_config' };
  if (code.startsWith('ERR_SSL_')) return { phase: tlsPhase, reason: 'protocol_error' };
  const phase = PHASE_OF_STATE[state];
  switch (code) {
    case 'ECONNREFUSED':
      return { phase, reason: 'tcp_refused' };
    case 'ETIMEDOUT':
      return { phase, reason: 'tcp_timeout' };
    case 'EADDRNOTAVAIL':
    case 'EADDRINUSE':
      return { phase, reason: 'addr_unavailable' };
    case 'EMFILE':
    case 'ENFILE':
      return { phase, reason: 'fd_exhausted' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return { phase, reason: 'tcp_unreachable' };
    case 'ECONNRESET':
    case 'EPIPE':
      return classifyClose(state, tls13, accepted, true);
  }
  return { phase, reason: 'unclassified' };
}

/**
 * The peer closed the connection (FIN, or RST when `reset`) without an alert or a
 * DISCONNECT. During the handshake that is `tls_closed` (Node reports a FIN there as
 * ECONNRESET too). After a TLS 1.3 handshake it is `tls_closed` as well unless the server
 * showed it accepted the certificate (`accepted`: a NewSessionTicket or any application
 * data came): until then it may still have been verifying the client certificate, and
 * servers that verify in application code (Node's TLS server, hence aedes) reject one by
 * closing without an alert. Once accepted (or after a TLS 1.2 handshake, which the
 * server finishes only with the certificate accepted), a close before CONNACK, FIN or
 * RST, is the broker refusing the session: `closed_before_connack`. A close in answer to
 * SUBSCRIBE is how some brokers (AWS IoT) refuse it.
 */
export function classifyClose(state: DriverState, tls13: boolean, accepted: boolean, reset = false): Classified {
  switch (state) {
    case 'tcp':
      return { phase: 'tcp', reason: reset ? 'tcp_reset' : 'tcp_refused' };
    case 'tls':
      return { phase: 'tls', reason: 'tls_closed' };
    case 'ws':
      // wss: a Node TLS server rejects a client certificate by closing, before any HTTP response
      if (tls13 && !accepted) return { phase: 'tls', reason: 'tls_closed' };
      return { phase: 'ws', reason: 'closed_before_connack' };
    case 'connack':
      if (tls13 && !accepted) return { phase: 'tls', reason: 'tls_closed' };
      return { phase: 'connack', reason: 'closed_before_connack' };
    case 'subscribe':
      return { phase: 'subscribe', reason: reset ? 'tcp_reset' : 'subscribe_rejected' };
    case 'session':
      return { phase: 'session', reason: reset ? 'tcp_reset' : 'tls_closed' };
  }
}

/**
 * The server answered the WebSocket upgrade with another status than 101 (a wrong path:
 * 404; a proxy that wants authentication: 401, 407; a broker that refuses the origin: 403).
 */
export function wsRejectedReason(status: number): `ws_rejected_${number}` {
  return `ws_rejected_${Number.isInteger(status) && status >= 100 && status <= 999 ? status : 0}`;
}

/**
 * A WebSocket close frame from the server, by its code: before CONNACK it is how the broker
 * refused the session (RabbitMQ's web_mqtt: 1002 "unauthenticated"), after it a session drop.
 * 1005 (no code) and 1006 (no close frame: the connection just ended) are not close frames:
 * undefined, and the close is classified as any other (classifyClose).
 */
export function wsClosedReason(state: DriverState, code: number): Classified | undefined {
  if (code === 1005 || code === 1006 || !Number.isInteger(code) || code < 1000 || code > 4999) return undefined;
  const phase: FailurePhase = state === 'session' ? 'session' : state === 'subscribe' ? 'subscribe' : 'connack';
  return { phase, reason: `ws_closed_${code}` };
}

/** An error, on one line, for people: its code and message (a protocol error or an unclassified one). */
export function errorDetail(err: { code?: string | undefined; message?: string }): string {
  const text = `${err.code ?? 'no code'}: ${err.message ?? ''}`.replace(/\s+/g, ' ').trim();
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

const CONNACK_V3: Record<number, string> = {
  1: 'unacceptable_protocol_version',
  2: 'identifier_rejected',
  3: 'server_unavailable',
  4: 'bad_username_or_password',
  5: 'not_authorized',
};

/** MQTT 5 reason codes ≥ 0x80 (CONNACK and DISCONNECT share the names). */
const REASON_V5: Record<number, string> = {
  0x80: 'unspecified_error',
  0x81: 'malformed_packet',
  0x82: 'protocol_error',
  0x83: 'implementation_specific_error',
  0x84: 'unsupported_protocol_version',
  0x85: 'client_identifier_not_valid',
  0x86: 'bad_username_or_password',
  0x87: 'not_authorized',
  0x88: 'server_unavailable',
  0x89: 'server_busy',
  0x8a: 'banned',
  0x8b: 'server_shutting_down',
  0x8c: 'bad_authentication_method',
  0x8d: 'keep_alive_timeout',
  0x8e: 'session_taken_over',
  0x8f: 'topic_filter_invalid',
  0x90: 'topic_name_invalid',
  0x93: 'receive_maximum_exceeded',
  0x94: 'topic_alias_invalid',
  0x95: 'packet_too_large',
  0x96: 'message_rate_too_high',
  0x97: 'quota_exceeded',
  0x98: 'administrative_action',
  0x99: 'payload_format_invalid',
  0x9a: 'retain_not_supported',
  0x9b: 'qos_not_supported',
  0x9c: 'use_another_server',
  0x9d: 'server_moved',
  0x9e: 'shared_subscriptions_not_supported',
  0x9f: 'connection_rate_exceeded',
  0xa0: 'maximum_connect_time',
  0xa1: 'subscription_identifiers_not_supported',
  0xa2: 'wildcard_subscriptions_not_supported',
};

function hex(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * A refused CONNACK. `v5` is how the CONNACK was encoded: an MQTT 5 client can get a
 * 3.1.1 CONNACK (two bytes) from a server that does not speak 5, with a 3.1.1 code.
 * The name is the same for 3.1.1 and 5 where the meaning is (not_authorized,
 * bad_username_or_password, server_unavailable).
 */
export function connackReason(code: number, v5: boolean): `connack_${string}` {
  const name = v5 ? REASON_V5[code] : CONNACK_V3[code];
  return `connack_${name ?? `code_${hex(code)}`}`;
}

/** A DISCONNECT the server sent (MQTT 5). */
export function disconnectReason(code: number): `disconnect_${string}` {
  if (code === 0) return 'disconnect_normal_disconnection';
  return `disconnect_${REASON_V5[code] ?? `code_${hex(code)}`}`;
}
