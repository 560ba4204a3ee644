/**
 * The socket listeners of every connection: shared functions (no closure per connection)
 * that find the connection that owns the socket on the socket itself and call it through
 * the small SocketOwner interface.
 */
import type tls from 'node:tls';
import { FEED_MALFORMED, feed, type ReaderState } from './packets.js';

export const kConn = Symbol('herd.conn');
export type Sock = tls.TLSSocket & { [kConn]: SocketOwner };

/** What the listeners call on the connection that owns a socket (connection.ts). */
export interface SocketOwner extends ReaderState {
  /** set on the first byte received after the handshake */
  gotMqtt: boolean;
  /** where TLS session tickets are kept for resumption */
  readonly device: { session: Buffer | undefined };
  tcpUp(): void;
  tlsUp(s: Sock): void;
  /** one complete packet other than PUBLISH; false: stop reading */
  packet(type: number, buf: Buffer, start: number, end: number): boolean;
  /** the bytes received are not MQTT */
  protocolError(): boolean;
  socketError(err: NodeJS.ErrnoException): void;
  socketClosed(): void;
}

export function listen(s: Sock, captureSession: boolean): void {
  s.once('connect', onTcp);
  s.once('secureConnect', onSecure);
  s.on('data', onData);
  s.on('error', onError);
  s.once('close', onClose);
  if (captureSession) s.on('session', onSession);
}

function onTcp(this: Sock): void {
  this[kConn].tcpUp();
}

function onSecure(this: Sock): void {
  this[kConn].tlsUp(this);
}

function onPacket(c: SocketOwner, type: number, _flags: number, buf: Buffer, start: number, end: number): boolean {
  return c.packet(type, buf, start, end);
}

function onData(this: Sock, chunk: Buffer): void {
  const c = this[kConn];
  c.gotMqtt = true;
  if (feed(c, chunk, onPacket) === FEED_MALFORMED) c.protocolError();
}

function onError(this: Sock, err: NodeJS.ErrnoException): void {
  this[kConn].socketError(err);
}

function onClose(this: Sock): void {
  this[kConn].socketClosed();
}

function onSession(this: Sock, session: Buffer): void {
  this[kConn].device.session = session;
}
