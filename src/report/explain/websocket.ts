/**
 * Explanations of the WebSocket families: `ws_rejected_<status>` (the upgrade answered with
 * an HTTP status other than 101) and `ws_closed_<code>` (a close frame from the broker, by
 * its RFC 6455 code), with a text for the statuses and codes brokers and proxies use.
 */
import type { Entry } from './entry.js';

const CHECK_URL =
  'Check the --target URL: the WebSocket listener’s port and path (mosquitto: `listener 8080` + `protocol websockets`, any path; ' +
  'EMQX, HiveMQ, AWS IoT: /mqtt; RabbitMQ web_mqtt: /ws).';

export const WS_STATUS: Record<string, Entry> = {
  '400': [
    'The broker refused the WebSocket upgrade as a bad request (HTTP 400)',
    'The request lacked what the listener wants: the `mqtt` subprotocol, a header, or a path it serves.',
    CHECK_URL,
  ],
  '401': [
    'The WebSocket upgrade needs HTTP authentication (HTTP 401)',
    'A proxy or the broker asks for credentials on the upgrade request itself (Basic, a token, a signed URL such as AWS SigV4).',
    'herd authenticates devices with client certificates: use the broker’s mTLS WebSocket endpoint, or a listener without HTTP authentication.',
  ],
  '403': [
    'The WebSocket upgrade was forbidden (HTTP 403)',
    'The broker or a proxy in front of it refuses the origin, the source address or the path.',
    'Check the proxy’s allow rules and the broker’s WebSocket settings for this path.',
  ],
  '404': [
    'No WebSocket endpoint at that path (HTTP 404)',
    'The server answered, but serves no MQTT WebSocket on the path of the target URL.',
    CHECK_URL,
  ],
  '426': [
    'The server wants another protocol (HTTP 426 Upgrade Required)',
    'The port serves something else, or wants a TLS upgrade: a ws:// target on a wss:// listener, for one.',
    'Use wss:// for a TLS WebSocket listener, ws:// for a plain one.',
  ],
  '429': [
    'The WebSocket upgrade was rate-limited (HTTP 429)',
    'A proxy or the broker limits new connections per second or per source address.',
    'Lower the connect rate or spread the load over more --source-ips; raise the limit if it is yours.',
  ],
  '502': [
    'A proxy could not reach the broker behind it (HTTP 502)',
    'The load balancer or ingress in front of the broker has no healthy backend or it closed the connection.',
    'Check the broker behind the proxy and the proxy’s backend health checks.',
  ],
  '503': [
    'The WebSocket endpoint is unavailable (HTTP 503)',
    'The broker or its proxy is overloaded or starting, or has no backend.',
    'Lower the rate; check the broker and the proxy at that moment.',
  ],
};

export const WS_CLOSE: Record<string, Entry> = {
  '1000': [
    'The broker closed the WebSocket normally before the session was up',
    'A normal close frame (1000) where a CONNACK was expected: the broker ended the connection on purpose, without an MQTT reason.',
    'Read the broker log for the client id at that moment.',
  ],
  '1001': [
    'The broker is going away (WebSocket close 1001)',
    'The broker or its proxy is shutting down or restarting.',
    'Check the broker’s availability during the run.',
  ],
  '1002': [
    'The broker refused the session with a WebSocket protocol error close (1002)',
    'RabbitMQ’s web_mqtt refuses a login this way (reason "unauthenticated"), where its TLS listener sends CONNACK 4; ' +
      'other brokers use it for a frame they did not accept.',
    'Check the credentials the broker expects over WebSocket (RabbitMQ: the user derived from the certificate, ' +
      'ssl_cert_login) and the close reason in the example.',
  ],
  '1003': [
    'The broker does not accept this kind of data (WebSocket close 1003)',
    'It got a frame type it does not take: MQTT over WebSocket is binary frames.',
    'Check that the listener speaks MQTT over WebSocket.',
  ],
  '1008': [
    'The broker closed the WebSocket for a policy violation (1008)',
    'An authorization or policy check refused the client (an ACL, a client id rule, a quota).',
    'Read the close reason in the example and the broker’s policy for this device.',
  ],
  '1009': [
    'A message was too big for the broker (WebSocket close 1009)',
    'A frame exceeded the broker’s WebSocket message size limit.',
    'Raise the broker’s WebSocket frame limit or send smaller payloads.',
  ],
  '1011': [
    'The broker hit an internal error (WebSocket close 1011)',
    'The server met a condition it could not handle while setting up the session.',
    'Read the broker log at that moment.',
  ],
  '1013': [
    'The broker asks to try again later (WebSocket close 1013)',
    'It is overloaded and sheds new sessions.',
    'Lower the connect rate, or let devices reconnect with backoff (--reconnect).',
  ],
};

/** The explanation of `ws_rejected_<status>`: its own text, or the family's. */
export function wsRejected(status: string): [Entry, boolean] {
  const e = WS_STATUS[status];
  if (e !== undefined) return [e, true];
  return [
    [
      `The broker refused the WebSocket upgrade with HTTP ${status}`,
      'The server answered the upgrade request with this status instead of 101 Switching Protocols.',
      `${CHECK_URL} The example shows the status line.`,
    ],
    false,
  ];
}

/** The explanation of `ws_closed_<code>`: its own text, or the family's. */
export function wsClosed(code: string): [Entry, boolean] {
  const e = WS_CLOSE[code];
  if (e !== undefined) return [e, true];
  const app = Number(code) >= 4000;
  return [
    [
      `The broker closed the WebSocket with code ${code}`,
      app
        ? 'An application-defined close code (4000–4999): the broker’s own reason, shown in the example.'
        : 'A close frame with this RFC 6455 code came instead of (or after) the CONNACK.',
      'Read the close reason in the example and the broker log at that moment.',
    ],
    false,
  ];
}
