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
import type { FailurePhase } from '../model/names.js';
import type { PreparedDevice } from './device.js';
import { dial } from './dial.js';
import { receive } from './receive.js';
import { wsClosedReason, wsRejectedReason } from './reasons.js';
import { kConn, listenUnder, type Sock, type SocketOwner, type Wire } from './socket-events.js';
import { DEFAULT_WS_PATH, WS_SUBPROTOCOL } from './transport.js';
import type { Target } from './types.js';

/** What the WebSocket's events need of the connection that owns it (connection.ts). */
export interface WsOwner extends SocketOwner {
  /** 101 Switching Protocols, checked (accept key, subprotocol `mqtt`): MQTT can start */
  wsUp(): void;
  /** our DISCONNECT is on its way */
  readonly closing: boolean;
  /** the connection is gone (its result or drop was reported) */
  readonly closed: boolean;
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
let dialed: Sock | undefined;

const kWire = Symbol('herd.wire');
type UnderSock = Sock & { [kWire]?: WsWire };

function createConnection(): Sock {
  const p = pending!;
  const s = dial(p.owner, p.target, p.secure, p.device, p.session);
  listenUnder(s, p.secure, onUnderError);
  s.on('drain', onUnderDrain);
  dialed = s;
  return s;
}

/** The socket under a WebSocket drained: so did the WebSocket (traffic waits on it: flow.ts). */
function onUnderDrain(this: UnderSock): void {
  this[kWire]?.emit('drain');
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
  /** the TCP or TLS socket under it */
  declare under: Sock;

  write(b: Buffer): boolean {
    this.send(b);
    return !this.under.writableNeedDrain;
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
  w.under = dialed!;
  (dialed as UnderSock)[kWire] = w;
  dialed = undefined;
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
  if (err.code === undefined) wsProtocol(owner, err.message);
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
  if (!owner.closed) owner.fail({ phase: 'ws', reason: wsRejectedReason(status) }, undefined, statusLine(res));
}

const statusLine = (res: IncomingMessage): string => `HTTP ${res.statusCode ?? 0} ${res.statusMessage ?? ''}`.trim();

/** The upgrade or the framing broke the protocol. */
function wsProtocol(owner: WsOwner, detail: string): void {
  if (owner.closed) return;
  const phase: FailurePhase = owner.state === 'tcp' || owner.state === 'tls' ? 'ws' : owner.state;
  owner.fail({ phase, reason: 'ws_protocol' }, undefined, detail);
}

function onOpen(this: WebSocket): void {
  ownerOf(this).wsUp();
}

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  if (isBinary) receive(ownerOf(this), data);
  else wsProtocol(ownerOf(this), `a text frame (${data.length} bytes): MQTT over WebSocket is binary`);
}

function onError(this: WebSocket, err: Error & { code?: string }): void {
  const owner = ownerOf(this);
  if (err.code === undefined || err.code.startsWith('WS_ERR_')) wsProtocol(owner, err.message);
  else owner.socketError(err);
}

/** A close frame (code 1005 when it had none, 1006 when the connection ended without one). */
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const owner = ownerOf(this);
  if (!owner.closed && !owner.closing) {
    const c = wsClosedReason(owner.state, code);
    if (c !== undefined) {
      const text = reason.length > 0 ? ` "${reason.toString('utf8').slice(0, 120)}"` : '';
      owner.fail(c, undefined, `WebSocket close ${code}${text}`);
    }
  }
  owner.socketClosed();
}
