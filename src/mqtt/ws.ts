/**
 * MQTT over WebSocket (ws://, wss://) with the `ws` package: the attempt dials its own TCP
 * or TLS socket (dial.ts, so the tcp and tls phases are timed as on mqtts:// and mTLS is
 * exactly the same), and `ws` runs the HTTP upgrade over it — path default /mqtt,
 * subprotocol `mqtt`, no compression — and then frames every MQTT write in a binary message.
 * What goes wrong is said in the contract's words: an HTTP status other than 101 is
 * `ws_rejected_<status>`, a broken upgrade or a text frame `ws_protocol`, a close frame
 * before CONNACK `ws_closed_<code>` (reasons.ts).
 *
 * Listeners are shared functions that find their connection on the WebSocket; per attempt
 * this allocates the WebSocket (which is the connection's Wire) and what `ws` and Node's
 * HTTP client allocate for an upgrade.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { PreparedDevice } from './device.js';
import { dial } from './dial.js';
import { receive } from './receive.js';
import { kConn, listenUnder, type Sock, type SocketOwner, type Wire } from './socket-events.js';
import { DEFAULT_WS_PATH, WS_SUBPROTOCOL } from './transport.js';
import type { Target } from './types.js';

/** What the WebSocket's events call on the connection that owns it (connection.ts). */
export interface WsOwner extends SocketOwner {
  /** 101 Switching Protocols, checked (accept key, subprotocol `mqtt`): MQTT can start */
  wsUp(): void;
  /** an HTTP status other than 101; `detail`: its status line */
  wsRejected(status: number, detail: string): void;
  /** the upgrade or the framing broke the protocol */
  wsProtocol(detail: string): void;
  /** a close frame (code 1005 when it had none, 1006 when the connection ended without one) */
  wsClosed(code: number, reason: Buffer): void;
}

interface Dial {
  owner: WsOwner;
  target: Target;
  secure: boolean;
  device: PreparedDevice;
  session: Buffer | undefined;
}

/** The dial of the upgrade being constructed: ws calls createConnection inside its constructor. */
let pending: Dial | undefined;

function createConnection(): Sock {
  const p = pending!;
  const s = dial(p.owner, p.target, p.secure, p.device, p.session);
  listenUnder(s, p.secure, onUnderError);
  return s;
}

/** Per target: the URL (its host the server name, for the Host header) and the options, built once. */
const perTarget = new WeakMap<Target, { url: string; options: WebSocket.ClientOptions }>();

function upgradeOf(target: Target, secure: boolean): { url: string; options: WebSocket.ClientOptions } {
  let u = perTarget.get(target);
  if (u === undefined) {
    const name = target.servername ?? target.host;
    const host = name.includes(':') ? `[${name}]` : name;
    u = {
      url: `${secure ? 'wss' : 'ws'}://${host}:${target.port}${target.path ?? DEFAULT_WS_PATH}`,
      options: {
        perMessageDeflate: false,
        followRedirects: false,
        // the socket is ours: ws only writes the upgrade request onto it
        createConnection: createConnection,
      },
    };
    perTarget.set(target, u);
  }
  return u;
}

/** The WebSocket of one attempt, and the connection's Wire. */
class WsWire extends WebSocket implements Wire {
  declare [kConn]: WsOwner;

  write(b: Buffer): void {
    this.send(b);
  }

  end(b: Buffer): void {
    this.send(b);
    this.close(1000);
  }

  destroy(): void {
    this.terminate();
  }

  get destroyed(): boolean {
    return this.readyState === WebSocket.CLOSED;
  }
}

/**
 * Starts the upgrade: dials the socket and sends the request once it is up. Throws what the
 * dial throws synchronously.
 */
export function openWebSocket(
  owner: WsOwner,
  target: Target,
  secure: boolean,
  device: PreparedDevice,
  session: Buffer | undefined,
): Wire {
  const u = upgradeOf(target, secure);
  pending = { owner, target, secure, device, session };
  let w: WsWire;
  try {
    w = new WsWire(u.url, WS_SUBPROTOCOL, u.options);
  } finally {
    pending = undefined;
  }
  w[kConn] = owner;
  w.on('upgrade', onUpgrade);
  w.on('unexpected-response', onUnexpected);
  w.once('open', onOpen);
  w.on('message', onMessage);
  w.on('error', onError);
  w.once('close', onClose);
  return w;
}

const ownerOf = (w: WebSocket): WsOwner => (w as WsWire)[kConn];

/** An error on the socket under the WebSocket: with a code, a socket error; without, ws aborting the upgrade. */
function onUnderError(this: Sock, err: NodeJS.ErrnoException): void {
  const owner = this[kConn] as WsOwner;
  if (err.code === undefined) owner.wsProtocol(err.message);
  else owner.socketError(err);
}

function onUpgrade(this: WebSocket): void {
  // an HTTP response is application data: the server accepted the client certificate
  ownerOf(this).certAccepted = true;
}

function onUnexpected(this: WebSocket, _req: ClientRequest, res: IncomingMessage): void {
  const owner = ownerOf(this);
  owner.certAccepted = true;
  const status = res.statusCode ?? 0;
  owner.wsRejected(status, `HTTP ${status} ${res.statusMessage ?? ''}`.trim());
}

function onOpen(this: WebSocket): void {
  ownerOf(this).wsUp();
}

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  if (isBinary) receive(ownerOf(this), data);
  else ownerOf(this).wsProtocol(`a text frame (${data.length} bytes): MQTT over WebSocket is binary`);
}

function onError(this: WebSocket, err: Error & { code?: string }): void {
  const owner = ownerOf(this);
  if (err.code === undefined || err.code.startsWith('WS_ERR_')) owner.wsProtocol(err.message);
  else owner.socketError(err);
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  ownerOf(this).wsClosed(code, reason);
}
