/**
 * The socket listeners of every connection: shared functions (no closure per connection)
 * that find the connection that owns the socket on the socket itself and call it through
 * the small SocketOwner interface.
 */
import type tls from 'node:tls';
import { receive, type Receiver } from './receive.js';

export const kConn = Symbol('herd.conn');
export type Sock = tls.TLSSocket & { [kConn]: SocketOwner };

/**
 * What a connection writes MQTT to and closes: over mqtt:// and mqtts:// the socket itself,
 * over WebSocket the WebSocket (ws.ts), which frames each write.
 */
export interface Wire {
  /** false: the kernel's buffer is full, wait for 'drain' */
  write(b: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  /** write `b`, then close gracefully */
  end(b: Buffer): unknown;
  destroy(): unknown;
  readonly destroyed: boolean;
}

/** What the listeners call on the connection that owns a socket (connection.ts). */
export interface SocketOwner extends Receiver {
  tcpUp(): void;
  tlsUp(s: Sock): void;
  /** a TLS session (ticket) from the server */
  ticket(session: Buffer): void;
  socketError(err: NodeJS.ErrnoException): void;
  socketClosed(): void;
}

/**
 * 'session' is listened for on every TLS socket, not only when sessions are kept: in TLS 1.3
 * a session ticket is the server's sign that it accepted the client certificate. A plain
 * TCP socket (mqtt://) gets neither 'secureConnect' nor 'session'.
 */
export function listen(s: Sock, secure: boolean): void {
  s.once('connect', onTcp);
  if (secure) {
    s.once('secureConnect', onSecure);
    s.on('session', onSession);
  }
  s.on('data', onData);
  s.on('error', onError);
  s.once('close', onClose);
}

/** The socket under a WebSocket: its own events only up to the upgrade; ws.ts reads it. */
export function listenUnder(s: Sock, secure: boolean, onErr: (this: Sock, err: NodeJS.ErrnoException) => void): void {
  s.once('connect', onTcp);
  if (secure) {
    s.once('secureConnect', onSecure);
    s.on('session', onSession);
  }
  s.on('error', onErr);
}

function onTcp(this: Sock): void {
  this[kConn].tcpUp();
}

function onSecure(this: Sock): void {
  this[kConn].tlsUp(this);
}

function onData(this: Sock, chunk: Buffer): void {
  receive(this[kConn], chunk);
}

function onError(this: Sock, err: NodeJS.ErrnoException): void {
  this[kConn].socketError(err);
}

function onClose(this: Sock): void {
  this[kConn].socketClosed();
}

function onSession(this: Sock, session: Buffer): void {
  this[kConn].ticket(session);
}
