/** MQTT CONNACK reason names (3.1.1 codes 1–5 and MQTT 5 codes ≥ 0x80). */
import type { Entry } from './entry.js';

export const CONNACK: Record<string, Entry> = {
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
