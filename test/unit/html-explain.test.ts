import { describe, expect, it } from 'vitest';
import { FAILURE_REASONS } from '../../src/model/names.js';
import { explainReason } from '../../src/report/explain/index.js';

/** TLS alert names from RFC 8446 §6 and the IANA TLS Alerts registry (close_notify is tls_closed). */
const IANA_ALERTS = [
  'unexpected_message',
  'bad_record_mac',
  'decryption_failed',
  'record_overflow',
  'decompression_failure',
  'handshake_failure',
  'no_certificate',
  'bad_certificate',
  'unsupported_certificate',
  'certificate_revoked',
  'certificate_expired',
  'certificate_unknown',
  'illegal_parameter',
  'unknown_ca',
  'access_denied',
  'decode_error',
  'decrypt_error',
  'export_restriction',
  'protocol_version',
  'insufficient_security',
  'internal_error',
  'inappropriate_fallback',
  'user_canceled',
  'no_renegotiation',
  'missing_extension',
  'unsupported_extension',
  'certificate_unobtainable',
  'unrecognized_name',
  'bad_certificate_status_response',
  'bad_certificate_hash_value',
  'unknown_psk_identity',
  'certificate_required',
  'no_application_protocol',
];

/** CONNACK return codes 1–5 of MQTT 3.1.1 (§3.2.2.3) and MQTT 5 reason codes >= 0x80 (§2.4), as named by the driver. */
const CONNACK_NAMES = [
  'unacceptable_protocol_version',
  'identifier_rejected',
  'server_unavailable',
  'bad_username_or_password',
  'not_authorized',
  'unspecified_error',
  'malformed_packet',
  'protocol_error',
  'implementation_specific_error',
  'unsupported_protocol_version',
  'client_identifier_not_valid',
  'server_busy',
  'banned',
  'server_shutting_down',
  'bad_authentication_method',
  'keep_alive_timeout',
  'session_taken_over',
  'topic_filter_invalid',
  'topic_name_invalid',
  'receive_maximum_exceeded',
  'topic_alias_invalid',
  'packet_too_large',
  'message_rate_too_high',
  'quota_exceeded',
  'administrative_action',
  'payload_format_invalid',
  'retain_not_supported',
  'qos_not_supported',
  'use_another_server',
  'server_moved',
  'shared_subscriptions_not_supported',
  'connection_rate_exceeded',
  'maximum_connect_time',
  'subscription_identifiers_not_supported',
  'wildcard_subscriptions_not_supported',
];

function expectSpecific(reason: string): void {
  const e = explainReason(reason);
  expect(e.specific, reason).toBe(true);
  expect(e.reason).toBe(reason);
  for (const text of [e.title, e.cause, e.fix]) expect(text.length, reason).toBeGreaterThan(10);
}

describe('explainReason', () => {
  it('explains every fixed reason of the closed list', () => {
    for (const r of FAILURE_REASONS) expectSpecific(r);
  });

  it('explains every TLS alert of the registry as tls_alert_<name>', () => {
    for (const a of IANA_ALERTS) expectSpecific(`tls_alert_${a}`);
  });

  it('explains every CONNACK code name, and the same names as a session DISCONNECT', () => {
    for (const c of CONNACK_NAMES) {
      expectSpecific(`connack_${c}`);
      expectSpecific(`disconnect_${c}`);
      expect(explainReason(`connack_${c}`).title).toContain('CONNACK');
      expect(explainReason(`disconnect_${c}`).title).toContain('DISCONNECT');
    }
  });

  it('explains the reasons the connection driver adds', () => {
    for (const r of [
      'subscribe_timeout',
      'ping_timeout',
      'tcp_unreachable',
      'unclassified',
      'disconnect_normal_disconnection',
    ])
      expectSpecific(r);
  });

  it('says what people search for: the broker log lines and the cafile mismatch', () => {
    const unknownCa = explainReason('tls_alert_unknown_ca');
    expect(unknownCa.cause).toContain('broker’s cafile is not the CA that signed the device');
    expect(unknownCa.cause).toContain('unable to get local issuer certificate');
    expect(unknownCa.cause).toContain('certificate verify failed');
    expect(unknownCa.fix).toContain('cafile');
    expect(explainReason('tls_alert_certificate_required').cause).toContain('peer did not return a certificate');
    expect(explainReason('tls_alert_bad_certificate').cause).toContain('certificate verify failed');
    expect(explainReason('tls_closed').fix).toContain('peer did not return a certificate');
    expect(explainReason('tls_server_untrusted').cause).toContain('unable to get local issuer certificate');
    expect(explainReason('tls_server_untrusted').fix).toContain('--server-ca');
  });

  it('falls back to the family for an unknown member, and to a generic text otherwise, never throwing', () => {
    const alert = explainReason('tls_alert_alert_199');
    expect(alert.specific).toBe(false);
    expect(alert.title).toContain('alert_199');
    const code = explainReason('connack_code_0x7f');
    expect(code.specific).toBe(false);
    expect(code.title).toContain('0x7f');
    const other = explainReason('something_new');
    expect(other.specific).toBe(false);
    expect(other.title).toBe('something new');
  });
});
