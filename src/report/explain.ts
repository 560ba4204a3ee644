/**
 * Every failure reason in plain words: what happened, the likely cause and the fix, for
 * people reading a report who never ran the tool. Covers the closed list of
 * src/model/names.ts, the `tls_alert_<name>` family (every alert of the IANA registry),
 * the `connack_<name>` family (MQTT 3.1.1 codes 1–5 and MQTT 5 reason codes), the same
 * names as `disconnect_<name>`, and the driver's proposed reasons. An unknown member of a
 * family gets the family's explanation; anything else a generic one (never an exception).
 */

export interface Explanation {
  reason: string;
  /** what happened, in a few words */
  title: string;
  /** the likely cause (may quote the error text people search for) */
  cause: string;
  /** what to change */
  fix: string;
  /** false when no specific entry exists and a family or generic text was used */
  specific: boolean;
}

type Entry = readonly [title: string, cause: string, fix: string];

const CA_MISMATCH_FIX =
  "Point the broker's cafile (mosquitto `cafile`, amqtt `cafile`) at the CA that signed the devices (`herd pki ca` output, ca.crt), or mint the devices from the CA the broker trusts (`herd run --pki DIR`).";

const FIXED: Record<string, Entry> = {
  tcp_refused: [
    'The broker refused the TCP connection',
    'Nothing listens on that host and port (broker down, wrong port, TLS listener on another port), or its accept backlog overflowed and the kernel answered with a reset.',
    'Check the --target URL and that the broker runs; under load raise the listen backlog (net.core.somaxconn, the broker’s backlog) or lower --in-flight.',
  ],
  tcp_timeout: [
    'No answer to the TCP connect in time',
    'A firewall drops the packets, the host is unreachable, or the broker’s accept queue is full and SYNs are being dropped (SYN backlog, syncookies).',
    'Check routing and firewalls; under load raise net.ipv4.tcp_max_syn_backlog and the broker’s backlog, or lower the rate.',
  ],
  tcp_reset: [
    'The connection was reset (RST)',
    'The broker or a load balancer aborted the connection: a crash, a connection limit (mosquitto max_connections), or a proxy idle timeout.',
    'Look at the broker log at that moment; raise its connection and file limits; check load-balancer timeouts.',
  ],
  tcp_unreachable: [
    'The network or host is unreachable',
    'No route to the broker from this machine (EHOSTUNREACH/ENETUNREACH), or a source address from --source-ips is not configured.',
    'Check the target address, routing and --source-ips.',
  ],
  addr_unavailable: [
    'The generator ran out of local ports (EADDRNOTAVAIL)',
    'Every local port towards this broker address is in use or in TIME_WAIT: one source IP gives about 28,000 ports by default.',
    'Spread connections over more source addresses (--source-ips 127.0.0.2-127.0.0.9), widen net.ipv4.ip_local_port_range, or target several broker addresses. This is the generator’s limit, not the broker’s.',
  ],
  fd_exhausted: [
    'The generator ran out of file descriptors (EMFILE/ENFILE)',
    'Each connection is a file descriptor and the process limit (ulimit -n) or the system limit (fs.file-max) was reached.',
    'Raise `ulimit -n` (and LimitNOFILE for a service) above the number of connections plus a margin, or spread the load over more processes or machines.',
  ],
  tls_timeout: [
    'The TLS handshake did not finish in time',
    'The broker is CPU-bound on handshakes (each one is a signature and a key exchange), or its TLS accept queue is long.',
    'Lower the connect rate, give the broker more cores or TLS offload, prefer ECDSA P-256 keys, or enable session resumption.',
  ],
  tls_closed: [
    'The broker closed the connection during the TLS handshake, without an alert',
    'Most often the broker rejected the device certificate silently (Node-based brokers such as aedes, and TLS 1.3 servers that verify after the handshake, just close). Also: a TLS listener that does not like the protocol version or cipher, or a connection limit.',
    'Look in the broker log for "certificate verify failed" or "peer did not return a certificate"; check the device’s certificate chain against the broker’s cafile, and the TLS versions both sides allow.',
  ],
  tls_server_untrusted: [
    'The device did not trust the broker’s certificate',
    'The server certificate is not signed by the CA the generator trusts ("unable to get local issuer certificate", "self signed certificate in certificate chain"), is expired, or does not name the host connected to (hostname mismatch).',
    'Give the generator the CA that signed the broker’s certificate (--server-ca FILE), or set --servername to a name in the certificate’s SAN; reissue the server certificate with the right DNS/IP SAN (`herd pki server --dns ... --ip ...`).',
  ],
  tls_local_config: [
    'The generator’s own TLS settings are unusable',
    'A device key does not match its certificate, a key or certificate file is malformed, or the allowed TLS versions or ciphers leave nothing in common.',
    'Re-mint or re-export the device credentials; check --tls-version/--tls-max-version.',
  ],
  connack_timeout: [
    'No CONNACK from the broker in time',
    'The TLS session was up but the broker did not answer CONNECT: it is overloaded (authentication plugin, persistence, cluster coordination) or stuck.',
    'Lower the connect rate or --in-flight; look at the broker’s auth backend and CPU; raise --connect-timeout only if slow answers are acceptable.',
  ],
  closed_before_connack: [
    'The broker closed the connection after CONNECT without a CONNACK',
    'The broker refused the client without a reason code: client id policy (client id must match the certificate, use_identity_as_username), an ACL or auth plugin, a duplicate client id taking over a session, or a connection limit.',
    'Check the broker log for the client id; make sure the MQTT client id matches what the broker derives from the certificate (the CN); check max_connections.',
  ],
  subscribe_rejected: [
    'The broker refused the SUBSCRIBE',
    'The SUBACK carried a failure code, or the broker closed the connection on SUBSCRIBE (AWS IoT does): the ACL or policy does not allow this device to subscribe to that topic.',
    'Grant the device the topic in the broker’s ACL (mosquitto `pattern read device/%u/commands`) or policy, or fix --subscribe.',
  ],
  subscribe_timeout: [
    'No SUBACK from the broker in time',
    'The broker is overloaded after accepting the connection, or silently ignores a subscription it does not allow.',
    'Lower the rate; check the broker’s ACL and its subscription handling under load.',
  ],
  ping_timeout: [
    'A held connection stopped answering keepalive pings',
    'The broker, a load balancer or the network stalled or dropped the connection without closing it.',
    'Check the broker and load-balancer idle timeouts and the broker’s health during the hold.',
  ],
  protocol_error: [
    'The broker answered with something the protocol does not allow',
    'A TLS record or MQTT packet could not be understood: a plain TCP port instead of a TLS one, a proxy in between, or an MQTT version the broker does not speak.',
    'Check that the target port is the TLS MQTT listener and the MQTT version (--mqtt 3.1.1|5) the broker supports.',
  ],
  unclassified: [
    'An error no other reason describes',
    'The driver saw an error code it does not classify.',
    'Report it with the broker log excerpt of that moment so it gets a reason of its own.',
  ],
};

/** TLS alerts the broker can send (RFC 8446 §6, IANA registry), by name. */
const ALERTS: Record<string, Entry> = {
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
    'The certificate failed verification ("certificate verify failed"): a bad signature, a missing clientAuth extended key usage, or the broker could not build the chain to its CA. With TLS 1.2 brokers this also covers expired and unknown-CA certificates.',
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
    'Its notAfter is in the past or its notBefore in the future ("certificate has expired", "certificate is not yet valid"); or the broker’s clock is wrong. Expected for the expired and not_yet_valid faults.',
    'Renew the certificate (`herd pki device`); check the broker host’s clock (NTP).',
  ],
  certificate_unknown: [
    'The broker could not accept the device certificate for an unspecified reason',
    'A catch-all for certificate problems: the chain could not be verified, a policy or name check failed.',
    'Verify the chain with `openssl verify -CAfile ca.crt dev.crt` and read the broker log for the precise error.',
  ],
  unknown_ca: [
    'The broker does not know the CA that signed the device',
    'The broker’s cafile is not the CA that signed the device certificate: its log says "unable to get local issuer certificate" or "certificate verify failed". Expected for the wrong_ca fault.',
    CA_MISMATCH_FIX,
  ],
  access_denied: [
    'The broker verified the certificate but denied access',
    'An access-control decision after authentication: the certificate identity is not allowed (a policy, an allow-list, use_identity_as_username with no matching user).',
    'Allow the device identity in the broker’s access policy.',
  ],
  handshake_failure: [
    'The TLS handshake failed: no acceptable security parameters',
    'Client and broker share no cipher suite, curve or signature algorithm, or the broker required a client certificate it did not get (some TLS 1.2 servers use this alert for that).',
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
    'The broker requires an ALPN protocol (e.g. "mqtt" on AWS IoT port 443) the client did not offer.',
    'Use the broker’s plain MQTT-over-TLS port (8883).',
  ],
};

/** MQTT CONNACK reason names (3.1.1 codes 1–5 and MQTT 5 codes ≥ 0x80). */
const CONNACK: Record<string, Entry> = {
  unacceptable_protocol_version: [
    'The broker does not speak this MQTT version',
    'The broker refused the protocol level of CONNECT (3.1.1 or 5).',
    'Use --mqtt with a version the broker supports.',
  ],
  unsupported_protocol_version: [
    'The broker does not speak this MQTT version',
    'The broker refused the protocol level of CONNECT.',
    'Use --mqtt with a version the broker supports.',
  ],
  identifier_rejected: [
    'The broker rejected the client id',
    'The client id is not allowed: too long, bad characters, or it does not match the identity in the certificate.',
    'Make the client id match the certificate CN (the default: the device id), or relax the broker’s client id policy.',
  ],
  client_identifier_not_valid: [
    'The broker rejected the client id',
    'The client id is not allowed or does not match the certificate identity.',
    'Make the client id match the certificate CN, or relax the broker’s client id policy.',
  ],
  server_unavailable: [
    'The broker is unavailable',
    'The broker accepted TCP and TLS but cannot serve MQTT now: overloaded, starting up, or a cluster node not ready.',
    'Lower the rate; check the broker’s health and cluster state.',
  ],
  bad_username_or_password: [
    'The broker rejected the credentials',
    'The broker wants a username/password (or use_identity_as_username maps the certificate to a user that does not exist).',
    'Configure the broker to authenticate by certificate, or create the users the certificates map to.',
  ],
  not_authorized: [
    'The broker did not authorize the device',
    'Authentication passed but policy denied the connection: the certificate identity is not in an allow-list or ACL.',
    'Allow the device identity in the broker’s auth plugin or ACL.',
  ],
  unspecified_error: [
    'The broker refused the connection without saying why',
    'An MQTT 5 catch-all refusal.',
    'Read the broker log for the client id.',
  ],
  malformed_packet: [
    'The broker could not parse CONNECT',
    'A protocol incompatibility.',
    'Check the MQTT version; report with the broker version.',
  ],
  protocol_error: [
    'The broker saw an MQTT protocol error in CONNECT',
    'A protocol incompatibility.',
    'Check the MQTT version; report with the broker version.',
  ],
  implementation_specific_error: [
    'The broker refused the connection for its own reason',
    'An implementation-specific refusal (often an auth or plugin decision).',
    'Read the broker log for the client id.',
  ],
  server_busy: [
    'The broker is too busy',
    'The broker sheds load on purpose.',
    'Lower the connect rate or scale the broker.',
  ],
  banned: [
    'The device is banned',
    'The broker’s policy bans this client or source address (e.g. after too many failures).',
    'Check the broker’s ban list and rate-limit settings.',
  ],
  server_shutting_down: [
    'The broker is shutting down',
    'A restart or rolling deploy during the run.',
    'Run when the broker is stable.',
  ],
  bad_authentication_method: [
    'The broker wants another authentication method',
    'The broker expects MQTT 5 enhanced authentication.',
    'Configure the broker to authenticate by certificate.',
  ],
  keep_alive_timeout: [
    'The broker saw no traffic within the keepalive',
    'The client did not ping in time, or the network stalled.',
    'Check --keepalive and the generator’s event-loop lag.',
  ],
  session_taken_over: [
    'Another connection took over this client id',
    'Two connections used the same client id (overlapping device ranges, two shards with the same devices).',
    'Give every connection a unique client id (distinct --shard-index, device ranges).',
  ],
  topic_filter_invalid: [
    'The topic filter is invalid',
    'The subscription pattern is not allowed by the broker.',
    'Fix --subscribe.',
  ],
  topic_name_invalid: ['The topic name is invalid', 'A will or publish topic is not allowed.', 'Fix the topic.'],
  receive_maximum_exceeded: [
    'Too many unacknowledged messages',
    'The client exceeded the broker’s receive maximum.',
    'Report it with the broker version.',
  ],
  topic_alias_invalid: [
    'A topic alias was invalid',
    'A protocol incompatibility.',
    'Report it with the broker version.',
  ],
  packet_too_large: [
    'A packet was too large for the broker',
    'CONNECT (e.g. a large will) exceeds the broker’s maximum packet size.',
    'Raise the broker’s maximum packet size.',
  ],
  message_rate_too_high: [
    'The device sent too fast',
    'The broker rate-limits messages per client.',
    'Lower the message rate or raise the limit.',
  ],
  quota_exceeded: [
    'A broker quota was exceeded',
    'A per-account or per-client quota (connections, sessions) is used up.',
    'Raise the quota or use fewer devices.',
  ],
  administrative_action: [
    'An administrator or the broker disconnected the device',
    'A manual kick or a policy action.',
    'Check the broker’s admin log.',
  ],
  payload_format_invalid: [
    'A payload format was invalid',
    'A will payload does not match its declared format.',
    'Report it with the broker version.',
  ],
  retain_not_supported: [
    'Retained messages are not supported',
    'A will with retain on a broker that disallows it.',
    'Report it with the broker version.',
  ],
  qos_not_supported: [
    'The QoS level is not supported',
    'A will or subscription QoS above the broker’s maximum.',
    'Lower the QoS.',
  ],
  use_another_server: [
    'The broker redirects to another server',
    'A cluster tells the client to connect elsewhere.',
    'Target the node the broker names, or all nodes (--target a,b,c).',
  ],
  server_moved: ['The broker has moved', 'A permanent redirect to another server.', 'Update --target.'],
  shared_subscriptions_not_supported: [
    'Shared subscriptions are not supported',
    'The subscription uses $share on a broker without it.',
    'Fix --subscribe.',
  ],
  connection_rate_exceeded: [
    'The broker limits the connect rate',
    'The broker (or AWS IoT’s per-account limit) refuses connects above a rate.',
    'Lower --rate below the limit, or raise the limit.',
  ],
  maximum_connect_time: [
    'The broker limits connection lifetime',
    'The connection outlived the broker’s maximum connect time.',
    'Shorten --hold or raise the limit.',
  ],
  subscription_identifiers_not_supported: [
    'Subscription identifiers are not supported',
    'A protocol feature the broker lacks.',
    'Report it with the broker version.',
  ],
  wildcard_subscriptions_not_supported: [
    'Wildcard subscriptions are not supported',
    'The subscription uses + or # on a broker that forbids it.',
    'Fix --subscribe.',
  ],
  normal_disconnection: [
    'The broker closed the session normally',
    'The broker ended a held connection with a normal DISCONNECT.',
    'Check why the broker ends sessions (max connect time, admin action).',
  ],
};

const ALERT_NAMES: readonly string[] = Object.keys(ALERTS);
const CONNACK_NAMES: readonly string[] = Object.keys(CONNACK);
/** Every name with a specific entry, per family (for tests and documentation). */
export const EXPLAINED = { fixed: Object.keys(FIXED), tlsAlerts: ALERT_NAMES, connack: CONNACK_NAMES };

function make(reason: string, e: Entry, specific: boolean): Explanation {
  return { reason, title: e[0], cause: e[1], fix: e[2], specific };
}

/** The plain-words explanation of a failure reason. */
export function explainReason(reason: string): Explanation {
  const fixed = FIXED[reason];
  if (fixed !== undefined) return make(reason, fixed, true);
  if (reason.startsWith('tls_alert_')) {
    const name = reason.slice('tls_alert_'.length);
    const e = ALERTS[name];
    if (e !== undefined)
      return make(
        reason,
        [`TLS alert from the broker: ${e[0].charAt(0).toLowerCase()}${e[0].slice(1)}`, e[1], e[2]],
        true,
      );
    return make(
      reason,
      [
        `The broker sent TLS alert "${name}"`,
        'The broker aborted the handshake with this alert.',
        'Read the broker log at that moment for the detailed error.',
      ],
      false,
    );
  }
  const family = /^(connack|disconnect)_(.+)$/.exec(reason);
  if (family !== null) {
    const [, kind, name = ''] = family;
    const e = CONNACK[name];
    const where = kind === 'connack' ? 'CONNACK' : 'DISCONNECT during the session';
    if (e !== undefined) return make(reason, [`${e[0]} (${where})`, e[1], e[2]], true);
    return make(
      reason,
      [
        `The broker answered with ${where} code ${name.replace(/^code_/, '')}`,
        'A reason code this report has no text for.',
        'Look the code up in the MQTT specification and the broker log.',
      ],
      false,
    );
  }
  return make(
    reason,
    [reason.replace(/_/g, ' '), 'No explanation is recorded for this reason.', 'Read the broker log at that moment.'],
    false,
  );
}
