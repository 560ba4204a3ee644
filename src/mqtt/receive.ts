/**
 * What a device does with the bytes a server sends: each packet is checked (strict.ts)
 * before the connection acts on it, and the first packet after CONNECT must be a
 * well-formed CONNACK — anything else is a protocol_error at once, with what arrived.
 */
import type { PreparedDevice } from './device.js';
import { FEED_MALFORMED, PacketType, feed, property, type ReaderState } from './packets.js';
import { ack, inbound, readAck, readPublish, type InboundPublish } from './inbound.js';
import { connackReason, disconnectReason, type Classified, type DriverState } from './reasons.js';
import {
  connackProblem,
  disconnectProblem,
  firstPacketProblem,
  malformedProblem,
  otherPacketProblem,
  showBytes,
  subackProblem,
} from './strict.js';

/** What receive() needs of a connection (connection.ts). */
export interface Receiver extends ReaderState {
  readonly state: DriverState;
  readonly device: PreparedDevice;
  /** the server showed it accepted our certificate: application data (or a TLS 1.3 session ticket) came */
  certAccepted: boolean;
  /** the CONNACK's return or reason code */
  connackCode: number;
  /** a CONNACK that accepts us; `keepaliveS` is the keepalive in force, `receiveMax` the server's Receive Maximum. False: stop reading */
  connackAccepted(keepaliveS: number, receiveMax: number): boolean;
  /** a well-formed PUBLISH (`m` is valid until this returns). False: stop reading */
  publishIn(m: InboundPublish): boolean;
  /** a well-formed PUBACK, PUBREC, PUBREL or PUBCOMP (type 4–7). False: stop reading */
  ackIn(type: number, id: number, reason: number): boolean;
  /** the SUBACK granted the subscription. False: stop reading */
  subscribed(): boolean;
  pingresp(): void;
  /** returns false */
  fail(c: Classified, err?: Error, detail?: string): boolean;
  /** a protocol_error in the current phase, `detail` saying what arrived; returns false */
  protocolError(detail: string): boolean;
}

/** Bytes the server sent, in the order they came. */
export function receive(r: Receiver, chunk: Buffer): void {
  r.certAccepted = true;
  if (chunk.length === 0) return;
  if (r.state === 'connack' && !firstBytesOk(r, chunk)) return;
  if (feed(r, chunk, onPacket) === FEED_MALFORMED) {
    const bytes = r.partial!;
    r.partial = null;
    r.protocolError(`${malformedProblem(bytes)} (${showBytes(bytes, 0, bytes.length, false)})`);
  }
}

/**
 * Before CONNACK every byte belongs to the first packet: its first byte and the start of its
 * length are checked as soon as they are there, so an HTTP response or garbage fails at
 * once instead of waiting for a length it announces by accident.
 */
function firstBytesOk(r: Receiver, chunk: Buffer): boolean {
  const p = r.partial;
  const b0 = p === null ? chunk[0]! : p[0]!;
  const b1 = p === null ? chunk[1] : p.length > 1 ? p[1] : chunk[0];
  const problem = firstPacketProblem(b0, b1, r.device.packets.version === 5);
  if (problem === null) return true;
  const bytes = p === null ? chunk : Buffer.concat([p, chunk]);
  r.partial = null;
  // a CONNACK gone wrong is shown as packet bytes; anything else as text too (it may be: HTTP)
  if (b0 >> 4 === PacketType.connack) r.protocolError(`${problem} (${showBytes(bytes, 0, bytes.length, false)})`);
  else r.protocolError(`${problem}: ${showBytes(bytes)}`);
  return false;
}

function packetError(r: Receiver, problem: string, buf: Buffer, at: number, end: number): boolean {
  return r.protocolError(`${problem} (${showBytes(buf, at, end, false)})`);
}

function onPacket(
  r: Receiver,
  type: number,
  flags: number,
  buf: Buffer,
  start: number,
  end: number,
  at: number,
): boolean {
  const v5 = r.device.packets.version === 5;
  switch (type) {
    case PacketType.connack:
      return onConnack(r, flags, buf, start, end, at, v5);
    case PacketType.suback: {
      if (r.state !== 'subscribe') return packetError(r, 'SUBACK without a SUBSCRIBE', buf, at, end);
      const n = r.device.packets.subscriptions;
      const problem = subackProblem(flags, buf, start, end, v5, n);
      if (problem !== null) return packetError(r, problem, buf, at, end);
      for (let p = end - n; p < end; p++)
        if (buf[p]! >= 0x80) return r.fail({ phase: 'subscribe', reason: 'subscribe_rejected' });
      return r.subscribed();
    }
    case PacketType.disconnect: {
      const problem = disconnectProblem(flags, buf, start, end, v5);
      if (problem !== null) return packetError(r, problem, buf, at, end);
      const code = end > start ? buf[start]! : 0;
      return r.fail({ phase: r.state === 'subscribe' ? 'subscribe' : 'session', reason: disconnectReason(code) });
    }
    case PacketType.publish: {
      const problem = readPublish(flags, buf, start, end, v5);
      if (problem !== null) return packetError(r, problem, buf, at, end);
      return r.publishIn(inbound);
    }
    case 4:
    case 5:
    case 6:
    case 7: {
      const problem = readAck(type, flags, buf, start, end, v5);
      if (problem !== null) return packetError(r, problem, buf, at, end);
      return r.ackIn(type, ack.id, ack.reason);
    }
    default: {
      const problem = otherPacketProblem(type, flags, end - start);
      if (problem !== null) return packetError(r, problem, buf, at, end);
      if (type === PacketType.pingresp) r.pingresp();
      return true; // UNSUBACK: nothing a load device acts on
    }
  }
}

function onConnack(
  r: Receiver,
  flags: number,
  buf: Buffer,
  start: number,
  end: number,
  at: number,
  v5: boolean,
): boolean {
  if (r.state !== 'connack') return packetError(r, 'a second CONNACK', buf, at, end);
  if (end - start >= 2) r.connackCode = buf[start + 1]!;
  const problem = connackProblem(flags, buf, start, end, v5, r.device.packets.clean);
  if (problem !== null) return packetError(r, problem, buf, at, end);
  const code = buf[start + 1]!;
  // an MQTT 5 client may get a two-byte 3.1.1 CONNACK from a server that lacks 5
  const encodedV5 = v5 && end - start > 2;
  if (code !== 0) return r.fail({ phase: 'connack', reason: connackReason(code, encodedV5) });
  const server = encodedV5 ? property.serverKeepAlive : -1;
  return r.connackAccepted(
    server >= 0 ? server : r.device.packets.keepaliveS,
    encodedV5 ? property.receiveMaximum : 65_535,
  );
}
