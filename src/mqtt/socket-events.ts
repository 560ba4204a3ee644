/**
 * The socket listeners of every connection: shared functions (no closure per connection)
 * that find their Connection on the socket.
 */
import type tls from 'node:tls';
import type { Connection } from './connection.js';
import { FEED_MALFORMED, feed } from './packets.js';

export const kConn = Symbol('herd.conn');
export type Sock = tls.TLSSocket & { [kConn]: Connection };

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

function onPacket(c: Connection, type: number, _flags: number, buf: Buffer, start: number, end: number): boolean {
  return c.packet(type, buf, start, end);
}

function onData(this: Sock, chunk: Buffer): void {
  const c = this[kConn];
  c.gotMqtt = true;
  if (feed(c, chunk, onPacket) === FEED_MALFORMED)
    c.fail({ phase: c.state === 'tcp' ? 'tls' : c.state, reason: 'protocol_error' });
}

function onError(this: Sock, err: NodeJS.ErrnoException): void {
  this[kConn].socketError(err);
}

function onClose(this: Sock): void {
  this[kConn].socketClosed();
}

function onSession(this: Sock, session: Buffer): void {
  (this[kConn].device as { session: Buffer | undefined }).session = session;
}
