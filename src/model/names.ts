/**
 * Every phase, failure reason and metric name in one place (as k6 keeps its built-in
 * metrics in one file). The failure reasons are a closed list: extend it deliberately.
 */

/**
 * Phases measured per connection attempt, in order. `connect` is end to end; `tls` only over
 * TLS (mqtts://, wss://), `ws` (the WebSocket upgrade) only over WebSocket (ws://, wss://).
 */
export const PHASES = ['tcp', 'tls', 'ws', 'connack', 'subscribe', 'connect'] as const;
export type Phase = (typeof PHASES)[number];

/** Phases a failure can be attributed to. */
export const FAILURE_PHASES = ['tcp', 'tls', 'ws', 'connack', 'subscribe', 'session'] as const;
export type FailurePhase = (typeof FAILURE_PHASES)[number];

/** Fixed failure reasons; `tls_alert_<name>` and `connack_<name>` are families. */
export const FAILURE_REASONS = [
  'tcp_refused',
  'tcp_timeout',
  'tcp_reset',
  'addr_unavailable',
  'fd_exhausted',
  'tls_timeout',
  'tls_closed',
  'tls_server_untrusted',
  'tls_local_config',
  'connack_timeout',
  'closed_before_connack',
  'subscribe_rejected',
  'protocol_error',
  'ws_protocol', // the WebSocket upgrade or framing broke the protocol (no `mqtt` subprotocol, a bad accept key, a text frame)
  // extensions of the contract's list, each for a case it did not name:
  'tcp_unreachable', // EHOSTUNREACH / ENETUNREACH
  'subscribe_timeout', // no SUBACK within the subscribe timeout
  'ping_timeout', // a held connection's PINGRESP did not come (session)
  'ws_timeout', // no WebSocket upgrade response within the ws timeout
  'unclassified', // an error no rule knows: a bug to report, never hidden
] as const;
export type FixedFailureReason = (typeof FAILURE_REASONS)[number];
/**
 * Families: `disconnect_<name>`: an MQTT 5 DISCONNECT from the server, by reason code name
 * (session); `ws_rejected_<status>`: the WebSocket upgrade answered with an HTTP status other
 * than 101 (ws); `ws_closed_<code>`: a WebSocket close frame from the server, by its close
 * code, before CONNACK (connack: RabbitMQ's web_mqtt refuses a login with 1002) or after (session).
 */
export type FailureReason =
  | FixedFailureReason
  | `tls_alert_${string}`
  | `connack_${string}`
  | `disconnect_${string}`
  | `ws_rejected_${number}`
  | `ws_closed_${number}`;

export function isFailureReason(s: string): s is FailureReason {
  return (
    (FAILURE_REASONS as readonly string[]).includes(s) ||
    /^(tls_alert|connack|disconnect)_[a-z0-9_]+$/.test(s) ||
    /^ws_(rejected|closed)_\d{3,4}$/.test(s)
  );
}

/** How a device reaches a broker: the target URL's scheme (mqtt://, mqtts://, ws://, wss://). */
export const TRANSPORTS = ['tcp', 'tls', 'ws', 'wss'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Credential faults a device can be given (it must be rejected by the broker). */
export const FAULTS = [
  'expired',
  'not_yet_valid',
  'wrong_ca',
  'revoked',
  'cn_mismatch',
  'no_cert',
  'wrong_eku',
] as const;
export type Fault = (typeof FAULTS)[number];

/** Device key types the bulk minter derives from a seed (RSA-4096 is not one: too slow to mint a fleet). */
export const KEY_TYPES = ['p256', 'p384', 'ed25519', 'rsa2048'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** TLS versions a run can bound the client to. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** Prometheus metric names (prefix herd_, base units seconds). */
export const METRIC = {
  phaseDuration: 'herd_phase_duration_seconds',
  connectDuration: 'herd_connect_duration_seconds',
  connectAttempts: 'herd_connect_attempts_total',
  established: 'herd_connections_established_total',
  connectFailures: 'herd_connect_failures_total',
  unexpectedAccepts: 'herd_unexpected_accepts_total',
  active: 'herd_connections_active',
  certsMinted: 'herd_certs_minted_total',
  certMintDuration: 'herd_cert_mint_duration_seconds',
  eventLoopLag: 'herd_generator_event_loop_lag_seconds',
  runInfo: 'herd_run_info',
  sessionDrops: 'herd_session_drops_total',
} as const;

/** Histogram buckets in seconds: 1 ms … 30 s, dense around common SLOs. */
export const DURATION_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1, 1.5, 2.5,
  5, 10, 20, 30,
] as const;
