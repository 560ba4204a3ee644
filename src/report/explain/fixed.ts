/** Explanations of the failure reasons with fixed names (the closed list of src/model/names.ts and the driver's). */
import type { Entry } from './entry.js';

export const CA_MISMATCH_FIX =
  "Point the broker's cafile (mosquitto `cafile`, amqtt `cafile`) at the CA that signed the devices " +
  '(`herd pki ca` output, ca.crt), or mint the devices from the CA the broker trusts (`herd run --pki DIR`).';

export const FIXED: Record<string, Entry> = {
  tcp_refused: [
    'The broker refused the TCP connection',
    'Nothing listens on that host and port (broker down, wrong port, TLS listener on another port), ' +
      'or its accept backlog overflowed and the kernel answered with a reset.',
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
    'Spread connections over more source addresses (--source-ips 127.0.0.2-127.0.0.9), ' +
      'widen net.ipv4.ip_local_port_range, or target several broker addresses. ' +
      'This is the generator’s limit, not the broker’s.',
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
    'Most often the broker rejected the device certificate silently (Node-based brokers such as aedes, ' +
      'and TLS 1.3 servers that verify after the handshake, just close, before any session ticket or data). ' +
      'Also: a TLS listener that does not like the protocol version or cipher, or a connection limit.',
    'Look in the broker log for "certificate verify failed" or "peer did not return a certificate"; ' +
      'check the device’s certificate chain against the broker’s cafile, and the TLS versions both sides allow.',
  ],
  tls_server_untrusted: [
    'The device did not trust the broker’s certificate',
    'The server certificate is not signed by the CA the generator trusts ' +
      '("unable to get local issuer certificate", "self signed certificate in certificate chain"), is expired, ' +
      'or does not name the host connected to (hostname mismatch).',
    'Give the generator the CA that signed the broker’s certificate (--server-ca FILE), ' +
      'or set --servername to a name in the certificate’s SAN; ' +
      'reissue the server certificate with the right DNS/IP SAN (`herd pki server --dns ... --ip ...`).',
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
    'The broker accepted the certificate (in TLS 1.3: it had sent a session ticket or data) but refused the client ' +
      'without a reason code, by closing or resetting: ' +
      'client id policy (client id must match the certificate, use_identity_as_username), an ACL or auth plugin, ' +
      'a duplicate client id taking over a session, or a connection limit.',
    'Check the broker log for the client id; make sure the MQTT client id matches what the broker derives from ' +
      'the certificate (the CN); check max_connections.',
  ],
  subscribe_rejected: [
    'The broker refused the SUBSCRIBE',
    'The SUBACK carried a failure code, or the broker closed the connection on SUBSCRIBE (AWS IoT does): ' +
      'the ACL or policy does not allow this device to subscribe to that topic.',
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
    'A TLS record or MQTT packet could not be understood: the first packet after CONNECT was not a well-formed CONNACK ' +
      '(an HTTP response, garbage, a PUBLISH or PINGRESP first), or a CONNACK, SUBACK or DISCONNECT broke the spec ' +
      '(a wrong length, reserved bits, session present after a clean start, an unknown reason code or property). ' +
      'Causes: a port that is not the TLS MQTT listener, a proxy in between, an MQTT version the broker does not speak, a broker bug.',
    'The example shows what arrived (its first bytes, as hex and printable) or what was wrong. ' +
      'Check that the target port is the TLS MQTT listener and the MQTT version (--mqtt 3.1.1|5) the broker supports.',
  ],
  ws_protocol: [
    'The WebSocket upgrade or framing broke the protocol',
    'The server answered 101 but without the `mqtt` subprotocol (or with another), with a wrong Sec-WebSocket-Accept, ' +
      'an extension not asked for, or it sent a text frame or a broken frame: not an MQTT-over-WebSocket endpoint, ' +
      'or a proxy that rewrites the upgrade.',
    'The example shows what was wrong. Check that the target path is the broker’s MQTT WebSocket endpoint and that ' +
      'any proxy passes Sec-WebSocket-Protocol through.',
  ],
  ws_timeout: [
    'No answer to the WebSocket upgrade in time',
    'The connection (and TLS on wss://) was up but the HTTP upgrade got no response: an overloaded broker or proxy, ' +
      'or a port that waits for something else (an MQTT listener given a ws:// URL).',
    'Check the target’s scheme and port; lower the rate; raise --ws-timeout only if slow answers are acceptable.',
  ],
  unclassified: [
    'An error no other reason describes',
    'The driver saw an error code it does not classify.',
    'Report it with the broker log excerpt of that moment so it gets a reason of its own.',
  ],
};
