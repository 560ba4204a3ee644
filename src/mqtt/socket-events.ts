/**
 * The socket listeners of every connection: shared functions (no closure per connection)
 * that find the connection that owns the socket on the socket itself and call it through
 * the small SocketOwner interface.
 */
import type tls from 'node:tls';
import { receive, type Receiver } from './receive.js';

export const kConn = Symbol('herd.conn');
export type Sock = tls.TLSSocket & { [kConn]: SocketOwner };

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
 * 'session' is listened for on every socket, not only when sessions are kept: in TLS 1.3 a
 * session ticket is the server's sign that it accepted the client certificate.
 */
export function listen(s: Sock): void {
  s.once('connect', onTcp);
  s.once('secureConnect', onSecure);
  s.on('data', onData);
  s.on('error', onError);
  s.once('close', onClose);
  s.on('session', onSession);
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
