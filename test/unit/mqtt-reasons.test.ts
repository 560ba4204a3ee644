/** The classification table: socket errors, TLS alerts, verification, CONNACK and DISCONNECT codes. */
import { describe, expect, it } from 'vitest';
import { isFailureReason } from '../../src/model/names.js';
import {
  classifyClose,
  classifyError,
  classifyTimeout,
  connackReason,
  disconnectReason,
  tlsAlertName,
  wsClosedReason,
  wsRejectedReason,
} from '../../src/mqtt/reasons.js';

const err = (code: string, message = '') => ({ code, message });
const show = (c: { phase: string; reason: string }) => `${c.phase}/${c.reason}`;

describe('socket errors', () => {
  it.each([
    ['ECONNREFUSED', 'tcp', 'tcp/tcp_refused'],
    ['ETIMEDOUT', 'tcp', 'tcp/tcp_timeout'],
    ['EADDRNOTAVAIL', 'tcp', 'tcp/addr_unavailable'],
    ['EADDRINUSE', 'tcp', 'tcp/addr_unavailable'],
    ['EMFILE', 'tcp', 'tcp/fd_exhausted'],
    ['ENFILE', 'tcp', 'tcp/fd_exhausted'],
    ['EHOSTUNREACH', 'tcp', 'tcp/tcp_unreachable'],
    ['ECONNRESET', 'tls', 'tls/tls_closed'],
    ['ECONNRESET', 'subscribe', 'subscribe/tcp_reset'],
    ['ECONNRESET', 'session', 'session/tcp_reset'],
    ['EPIPE', 'session', 'session/tcp_reset'],
    ['ETIMEDOUT', 'session', 'session/tcp_timeout'],
    ['EWHATEVER', 'connack', 'connack/unclassified'],
  ] as const)('%s in %s: %s', (code, state, want) => {
    expect(show(classifyError(err(code), state))).toBe(want);
  });

  it('a reset after a TLS 1.3 handshake, before any sign of acceptance, is the server refusing the certificate', () => {
    expect(show(classifyError(err('ECONNRESET'), 'connack', true, false))).toBe('tls/tls_closed');
  });

  it('a reset before CONNACK once the certificate was accepted (TLS 1.3 ticket or data, TLS 1.2) refuses the session', () => {
    expect(show(classifyError(err('ECONNRESET'), 'connack', true, true))).toBe('connack/closed_before_connack');
    expect(show(classifyError(err('ECONNRESET'), 'connack', false, false))).toBe('connack/closed_before_connack');
  });
});

describe('TLS alerts from the peer', () => {
  it.each([
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'certificate_required'],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'bad_certificate'],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'unknown_ca'],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'certificate_expired'],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED', 'certificate_revoked'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'handshake_failure'],
    ['ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR', 'decrypt_error'],
    ['ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE', 'unsupported_certificate'],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', 'certificate_unknown'],
    ['ERR_SSL_TLSV1_ALERT_ACCESS_DENIED', 'access_denied'],
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'protocol_version'],
    ['ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR', 'internal_error'],
    ['ERR_SSL_TLSV1_UNRECOGNIZED_NAME', 'unrecognized_name'],
    ['ERR_SSL_TLSV1_ALERT_USER_CANCELLED', 'user_canceled'],
    ['ERR_SSL_TLSV13_ALERT_MISSING_EXTENSION', 'missing_extension'],
    ['ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL', 'no_application_protocol'],
  ])('%s → tls_alert_%s, phase tls even after secureConnect', (code, name) => {
    expect(tlsAlertName(code)).toBe(name);
    expect(show(classifyError(err(code), 'connack', true))).toBe(`tls/tls_alert_${name}`);
    expect(show(classifyError(err(code), 'tls'))).toBe(`tls/tls_alert_${name}`);
  });

  it('an alert OpenSSL has no code for is named from "SSL alert number N"', () => {
    expect(tlsAlertName('ERR_SSL_SOMETHING_NEW', 'ssl3_read_bytes:reason(1116):SSL alert number 116')).toBe(
      'certificate_required',
    );
    expect(tlsAlertName(undefined, 'SSL alert number 200')).toBe('alert_200');
  });

  it('an alert on a held connection is a session drop; close_notify is tls_closed', () => {
    expect(show(classifyError(err('ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR'), 'session'))).toBe(
      'session/tls_alert_internal_error',
    );
    expect(show(classifyError(err('ERR_SSL_SOMETHING', 'SSL alert number 0'), 'session'))).toBe('session/tls_closed');
  });

  it('not alerts: other TLS errors are protocol errors', () => {
    expect(tlsAlertName('ERR_SSL_WRONG_VERSION_NUMBER')).toBeNull();
    expect(show(classifyError(err('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls'))).toBe('tls/protocol_error');
  });
});

describe('the client distrusting the server, and local configuration', () => {
  it.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_REVOKED',
    'INVALID_PURPOSE',
  ])('%s → tls/tls_server_untrusted', (code) => {
    expect(show(classifyError(err(code), 'tls'))).toBe('tls/tls_server_untrusted');
  });

  it.each([
    'ERR_OSSL_X509_KEY_VALUES_MISMATCH',
    'ERR_OSSL_PEM_NO_START_LINE',
    'ERR_OSSL_UNSUPPORTED',
    'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
    'ERR_TLS_INVALID_PROTOCOL_VERSION',
  ])('%s → tls/tls_local_config', (code) => {
    expect(show(classifyError(err(code), 'tcp'))).toBe('tls/tls_local_config');
  });
});

describe('closes and timeouts', () => {
  it.each([
    ['tls', false, false, 'tls/tls_closed'],
    ['connack', true, false, 'tls/tls_closed'],
    ['connack', true, true, 'connack/closed_before_connack'],
    ['connack', false, false, 'connack/closed_before_connack'],
    ['subscribe', true, true, 'subscribe/subscribe_rejected'],
    ['session', true, true, 'session/tls_closed'],
  ] as const)('a FIN in %s (TLS 1.3: %s, MQTT bytes: %s): %s', (state, tls13, got, want) => {
    expect(show(classifyClose(state, tls13, got))).toBe(want);
  });

  it.each([
    ['tcp', 'tcp/tcp_timeout'],
    ['tls', 'tls/tls_timeout'],
    ['connack', 'connack/connack_timeout'],
    ['subscribe', 'subscribe/subscribe_timeout'],
    ['session', 'session/ping_timeout'],
  ] as const)('our deadline in %s: %s', (state, want) => {
    expect(show(classifyTimeout(state))).toBe(want);
  });
});

describe('CONNACK and DISCONNECT codes', () => {
  it.each([
    [1, false, 'connack_unacceptable_protocol_version'],
    [2, false, 'connack_identifier_rejected'],
    [3, false, 'connack_server_unavailable'],
    [4, false, 'connack_bad_username_or_password'],
    [5, false, 'connack_not_authorized'],
    [9, false, 'connack_code_0x09'],
    [0x80, true, 'connack_unspecified_error'],
    [0x84, true, 'connack_unsupported_protocol_version'],
    [0x85, true, 'connack_client_identifier_not_valid'],
    [0x86, true, 'connack_bad_username_or_password'],
    [0x87, true, 'connack_not_authorized'],
    [0x88, true, 'connack_server_unavailable'],
    [0x89, true, 'connack_server_busy'],
    [0x8a, true, 'connack_banned'],
    [0x8c, true, 'connack_bad_authentication_method'],
    [0x95, true, 'connack_packet_too_large'],
    [0x97, true, 'connack_quota_exceeded'],
    [0x9c, true, 'connack_use_another_server'],
    [0x9f, true, 'connack_connection_rate_exceeded'],
    [0x05, true, 'connack_code_0x05'],
  ] as const)('code %s (MQTT 5 encoding: %s): %s', (code, v5, want) => {
    expect(connackReason(code, v5)).toBe(want);
    expect(isFailureReason(want)).toBe(true);
  });

  it('server DISCONNECT reasons', () => {
    expect(disconnectReason(0x8e)).toBe('disconnect_session_taken_over');
    expect(disconnectReason(0x8b)).toBe('disconnect_server_shutting_down');
    expect(disconnectReason(0x8d)).toBe('disconnect_keep_alive_timeout');
    expect(disconnectReason(0)).toBe('disconnect_normal_disconnection');
    expect(disconnectReason(0xfe)).toBe('disconnect_code_0xfe');
  });
});

describe('WebSocket', () => {
  it('an upgrade answered with another status than 101 is ws_rejected_<status>', () => {
    expect(wsRejectedReason(404)).toBe('ws_rejected_404');
    expect(wsRejectedReason(503)).toBe('ws_rejected_503');
    for (const s of [400, 401, 404, 426, 503]) expect(isFailureReason(wsRejectedReason(s))).toBe(true);
  });

  it('a close frame is ws_closed_<code> in the phase it came in; 1005 and 1006 are no close frame', () => {
    expect(wsClosedReason('connack', 1002)).toEqual({ phase: 'connack', reason: 'ws_closed_1002' });
    expect(wsClosedReason('subscribe', 1008)).toEqual({ phase: 'subscribe', reason: 'ws_closed_1008' });
    expect(wsClosedReason('session', 1001)).toEqual({ phase: 'session', reason: 'ws_closed_1001' });
    expect(wsClosedReason('connack', 4403)).toEqual({ phase: 'connack', reason: 'ws_closed_4403' });
    for (const code of [1005, 1006, 999, 5000]) expect(wsClosedReason('connack', code)).toBeUndefined();
    expect(isFailureReason('ws_closed_1002')).toBe(true);
    expect(isFailureReason('ws_closed_x')).toBe(false);
  });

  it('the upgrade phase: its timeout, a close during it (a Node TLS server rejecting the certificate: tls)', () => {
    expect(show(classifyTimeout('ws'))).toBe('ws/ws_timeout');
    expect(show(classifyClose('ws', true, false))).toBe('tls/tls_closed');
    expect(show(classifyClose('ws', true, true))).toBe('ws/closed_before_connack');
    expect(show(classifyClose('ws', false, false))).toBe('ws/closed_before_connack');
    expect(show(classifyError(err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'ws'))).toBe(
      'tls/tls_alert_certificate_required',
    );
  });
});

it('every reason the driver can give is in the closed list, except the proposed ones', () => {
  const proposed = /^(subscribe_timeout|ping_timeout|tcp_unreachable|unclassified|disconnect_[a-z0-9_]+)$/;
  const all = [
    ...['tcp', 'tls', 'ws', 'connack', 'subscribe', 'session'].map((s) => classifyTimeout(s as 'tcp').reason),
    ...[
      'ECONNREFUSED',
      'ETIMEDOUT',
      'EADDRNOTAVAIL',
      'EMFILE',
      'ECONNRESET',
      'EHOSTUNREACH',
      'CERT_HAS_EXPIRED',
      'ERR_OSSL_X',
      'ERR_SSL_X',
      'E?',
    ].flatMap((c) =>
      (['tcp', 'tls', 'ws', 'connack', 'subscribe', 'session'] as const).map((s) => classifyError(err(c), s).reason),
    ),
  ];
  for (const r of all) expect(isFailureReason(r) || proposed.test(r), r).toBe(true);
});
