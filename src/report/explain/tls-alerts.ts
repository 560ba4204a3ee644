/** TLS alerts the broker can send (RFC 8446 §6, IANA registry), by name. */
import type { Entry } from './entry.js';
import { CA_MISMATCH_FIX } from './fixed.js';

export const ALERTS: Record<string, Entry> = {
  certificate_required: [
    'The broker requires a client certificate and the device sent none',
    'The broker log says "peer did not return a certificate". The device has no certificate (the no_cert fault), or its certificate and key were not loaded.',
    'Give each device its certificate and key (`herd pki export`); if this was a no_cert fault device, this rejection is the expected result.',
  ],
  no_certificate: [
    'The device sent no certificate (old SSL alert)',
    'As certificate_required: the broker requires a client certificate ("peer did not return a certificate").',
    'Give each device its certificate and key.',
  ],
  bad_certificate: [
    'The broker rejected the device certificate',
    'The certificate failed verification ("certificate verify failed"): ' +
      'a bad signature, a missing clientAuth extended key usage, ' +
      'or the broker could not build the chain to its CA. ' +
      'With TLS 1.2 brokers this also covers expired and unknown-CA certificates.',
    'Check the device certificate against the broker’s CA (`openssl verify -CAfile ca.crt dev.crt`); issue device certificates with EKU clientAuth.',
  ],
  unsupported_certificate: [
    'The broker does not accept this kind of certificate',
    'The key type (e.g. Ed25519, RSA size) or the key usage / extended key usage is not allowed for a TLS client (e.g. serverAuth only: the wrong_eku fault).',
    'Issue device certificates with EKU clientAuth and a key type the broker supports (P-256 ECDSA is the safe default).',
  ],
  certificate_revoked: [
    'The device certificate is revoked',
    'The broker found the certificate in its CRL (mosquitto `crlfile`). Expected for the revoked fault.',
    'For a real device: issue it a new certificate. For the revoked fault: this is the expected rejection.',
  ],
  certificate_expired: [
    'The device certificate has expired or is not valid yet',
    'Its notAfter is in the past or its notBefore in the future ("certificate has expired", ' +
      '"certificate is not yet valid"); or the broker’s clock is wrong. ' +
      'Expected for the expired and not_yet_valid faults.',
    'Renew the certificate (`herd pki device`); check the broker host’s clock (NTP).',
  ],
  certificate_unknown: [
    'The broker could not accept the device certificate for an unspecified reason',
    'A catch-all for certificate problems: the chain could not be verified, a policy or name check failed.',
    'Verify the chain with `openssl verify -CAfile ca.crt dev.crt` and read the broker log for the precise error.',
  ],
  unknown_ca: [
    'The broker does not know the CA that signed the device',
    'The broker’s cafile is not the CA that signed the device certificate: ' +
      'its log says "unable to get local issuer certificate" or "certificate verify failed". ' +
      'Expected for the wrong_ca fault.',
    CA_MISMATCH_FIX,
  ],
  access_denied: [
    'The broker verified the certificate but denied access',
    'An access-control decision after authentication: the certificate identity is not allowed (a policy, ' +
      'an allow-list, use_identity_as_username with no matching user).',
    'Allow the device identity in the broker’s access policy.',
  ],
  handshake_failure: [
    'The TLS handshake failed: no acceptable security parameters',
    'Client and broker share no cipher suite, curve or signature algorithm, ' +
      'or the broker required a client certificate it did not get (some TLS 1.2 servers use this alert for that).',
    'Compare the TLS versions, ciphers and key types on both sides (`openssl s_client -connect host:port -cert dev.crt -key dev.key`).',
  ],
  decrypt_error: [
    'A handshake signature did not verify',
    'The device’s key does not match its certificate, or a signature or key exchange failed to verify on the broker’s side.',
    'Re-export the device key and certificate together (`herd pki export`) and check they match.',
  ],
  protocol_version: [
    'No TLS version both sides accept',
    'The broker allows only versions the device does not offer (e.g. broker TLS 1.3 only, device --tls-max-version 1.2), or the reverse.',
    'Align --tls-version/--tls-max-version with the broker’s tls_version.',
  ],
  insufficient_security: [
    'The broker wants stronger cipher suites than offered',
    'The broker’s cipher policy rejects every suite the device offered.',
    'Align the cipher configuration of the broker and the devices.',
  ],
  illegal_parameter: [
    'A handshake field was out of range or inconsistent',
    'An incompatibility in the TLS implementation or an unusual extension; sometimes an SNI the broker rejects.',
    'Try the handshake with `openssl s_client` and compare; check --servername.',
  ],
  unrecognized_name: [
    'The broker does not serve the requested server name (SNI)',
    'The name sent in SNI (--servername or the target host) matches none of the broker’s certificates or virtual hosts.',
    'Set --servername to a name the broker serves.',
  ],
  decode_error: [
    'A handshake message could not be decoded',
    'A malformed or truncated TLS message, usually a middlebox or an implementation bug.',
    'Test without proxies in between; report the broker and generator versions.',
  ],
  unexpected_message: [
    'A TLS message arrived out of order',
    'An implementation incompatibility or a middlebox altering the stream.',
    'Test without proxies in between; check both TLS stacks are current.',
  ],
  bad_record_mac: [
    'A TLS record failed its integrity check',
    'Corruption on the path or a faulty middlebox, rarely an implementation bug.',
    'Check the network path (MTU, proxies); report with versions.',
  ],
  decryption_failed: [
    'A TLS record could not be decrypted (old alert)',
    'As bad_record_mac.',
    'Check the network path; report with versions.',
  ],
  record_overflow: [
    'A TLS record was too large',
    'A record exceeded the allowed size: an implementation bug or a middlebox.',
    'Report with the broker and generator versions.',
  ],
  decompression_failure: [
    'TLS decompression failed (old alert)',
    'TLS compression is obsolete; an outdated peer.',
    'Upgrade the broker’s TLS library.',
  ],
  export_restriction: [
    'An export-grade parameter was refused (obsolete alert)',
    'An outdated peer.',
    'Upgrade the broker’s TLS library.',
  ],
  internal_error: [
    'The broker’s TLS stack hit an internal error',
    'Often resource exhaustion on the broker (memory, entropy, a crypto engine) under load.',
    'Look at the broker host’s resources and log at that moment.',
  ],
  inappropriate_fallback: [
    'The broker refused a protocol downgrade',
    'The client retried with a lower TLS version and the broker saw it as a downgrade attack.',
    'Align the TLS versions on both sides.',
  ],
  user_canceled: [
    'The broker cancelled the handshake',
    'The peer gave up on the handshake, for example while shutting down.',
    'Check the broker log at that moment.',
  ],
  no_renegotiation: [
    'The broker refused a renegotiation',
    'Renegotiation is disabled on the broker; the generator should not renegotiate.',
    'Report it: the generator never asks to renegotiate.',
  ],
  missing_extension: [
    'A required TLS extension was missing',
    'The broker needs an extension (e.g. supported_groups, signature_algorithms, SNI) the client did not send.',
    'Set --servername; check TLS version and key types.',
  ],
  unsupported_extension: [
    'The broker got an extension it did not ask for',
    'An implementation incompatibility.',
    'Check both TLS stacks are current.',
  ],
  certificate_unobtainable: [
    'A certificate could not be fetched from a URL',
    'Client certificate URLs are not used by mqtt-herd; an unusual broker configuration.',
    'Check the broker’s TLS configuration.',
  ],
  bad_certificate_status_response: [
    'An OCSP status response was invalid',
    'The broker’s OCSP stapling configuration or responder is broken.',
    'Check the broker’s OCSP stapling setup.',
  ],
  bad_certificate_hash_value: [
    'A certificate hash did not match',
    'An obsolete TLS extension; an unusual peer.',
    'Check the broker’s TLS configuration.',
  ],
  unknown_psk_identity: [
    'The broker does not know the pre-shared key identity',
    'The broker expects PSK authentication, not certificates.',
    'Point the generator at the certificate (mTLS) listener.',
  ],
  no_application_protocol: [
    'No ALPN protocol in common',
    'The broker requires an ALPN protocol the client did not offer: AWS IoT Core takes mTLS MQTT on port 443 only with "x-amzn-mqtt-ca".',
    'Offer the protocol the broker wants (--alpn x-amzn-mqtt-ca, or tls.alpn in the scenario), or use its MQTT-over-TLS port (8883).',
  ],
};
