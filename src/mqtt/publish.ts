/**
 * PUBLISH and its acknowledgements, encoded by hand for the hot path: per device and
 * stream the fixed part (first byte, topic bytes, MQTT 5 property block) is prepared once;
 * per message one Buffer holds the whole packet, its payload written in place by the
 * caller, and goes out in one socket.write. The packet id is written at send time
 * (flow.ts), when the in-flight window has room.
 */
import type { MqttVersion } from './packets.js';

export type PublishQos = 0 | 1 | 2;

/** MQTT 5 PUBLISH properties a device sends (§3.3.2.3). */
export interface PublishProperties {
  /** Message Expiry Interval, seconds */
  messageExpiryS?: number | undefined;
  contentType?: string | undefined;
  /** Response Topic (a request's) */
  responseTopic?: string | undefined;
  /** Correlation Data (a request's, repeated by its response) */
  correlationData?: Buffer | undefined;
  /** User Properties, in order */
  user?: readonly (readonly [string, string])[] | undefined;
}

/** The fixed part of a device's PUBLISH on one topic, built once. */
export interface PreparedPublish {
  /** first byte: type 3, QoS, retain (DUP is never set: the driver does not retransmit) */
  readonly b0: number;
  readonly qos: PublishQos;
  /** topic name as an MQTT UTF-8 string: two length bytes, then the bytes */
  readonly topic: Buffer;
  /** MQTT 5: the property block with its length; 3.1.1: null */
  readonly props: Buffer | null;
}

const MAX_REMAINING = 268_435_455;

function utf8(s: string, what: string): Buffer {
  const n = Buffer.byteLength(s, 'utf8');
  if (n > 65_535) throw new RangeError(`${what} is longer than 65535 bytes`);
  const b = Buffer.allocUnsafe(2 + n);
  b.writeUInt16BE(n, 0);
  b.write(s, 2, 'utf8');
  return b;
}

function varIntBytes(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarInt(buf: Buffer, off: number, n: number): number {
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    buf[off++] = b;
  } while (n > 0);
  return off;
}

/** The MQTT 5 property block (its variable-byte length first) of a PUBLISH. */
export function encodePublishProperties(p: PublishProperties): Buffer {
  const parts: Buffer[] = [];
  if (p.messageExpiryS !== undefined) {
    const v = p.messageExpiryS;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`message expiry ${v} s out of range`);
    const b = Buffer.allocUnsafe(5);
    b[0] = 0x02;
    b.writeUInt32BE(v, 1);
    parts.push(b);
  }
  if (p.contentType !== undefined) parts.push(Buffer.from([0x03]), utf8(p.contentType, 'content type'));
  if (p.responseTopic !== undefined) parts.push(Buffer.from([0x08]), utf8(p.responseTopic, 'response topic'));
  if (p.correlationData !== undefined) {
    const d = p.correlationData;
    if (d.length > 65_535) throw new RangeError('correlation data is longer than 65535 bytes');
    const b = Buffer.allocUnsafe(3);
    b[0] = 0x09;
    b.writeUInt16BE(d.length, 1);
    parts.push(b, d);
  }
  for (const [k, v] of p.user ?? [])
    parts.push(Buffer.from([0x26]), utf8(k, 'user property'), utf8(v, 'user property'));
  const body = Buffer.concat(parts);
  const out = Buffer.allocUnsafe(varIntBytes(body.length) + body.length);
  body.copy(out, writeVarInt(out, 0, body.length));
  return out;
}

/** The fixed part of PUBLISHes to `topic`; MQTT 5 with `props` (none: an empty property block). */
export function preparePublish(
  topic: string | Buffer,
  qos: PublishQos,
  retain: boolean,
  version: MqttVersion,
  props?: PublishProperties | Buffer,
): PreparedPublish {
  const t = typeof topic === 'string' ? utf8(topic, 'topic') : topic;
  if (t.length <= 2) throw new RangeError('a PUBLISH topic may not be empty');
  let block: Buffer | null = null;
  if (version === 5) block = Buffer.isBuffer(props) ? props : encodePublishProperties(props ?? {});
  return { b0: 0x30 | (qos << 1) | (retain ? 1 : 0), qos, topic: t, props: block };
}

/** A topic as the MQTT UTF-8 string preparePublish() takes (length bytes, then the bytes). */
export function topicBytes(topic: string): Buffer {
  return utf8(topic, 'topic');
}

/**
 * A whole PUBLISH with room for `payloadLen` payload bytes at its end (to be written by
 * the caller at `buf.length - payloadLen`); the packet id (QoS 1/2) is 0 until set with
 * setPacketId().
 */
export function allocPublish(p: PreparedPublish, payloadLen: number): Buffer {
  const rl = p.topic.length + (p.qos > 0 ? 2 : 0) + (p.props === null ? 0 : p.props.length) + payloadLen;
  if (rl > MAX_REMAINING) throw new RangeError(`a PUBLISH of ${rl} bytes is longer than MQTT allows`);
  const buf = Buffer.allocUnsafe(1 + varIntBytes(rl) + rl);
  buf[0] = p.b0;
  let o = writeVarInt(buf, 1, rl);
  o += p.topic.copy(buf, o);
  if (p.qos > 0) {
    buf[o++] = 0;
    buf[o++] = 0;
  }
  if (p.props !== null) p.props.copy(buf, o);
  return buf;
}

/** Offset of the packet id in a PUBLISH built by allocPublish() (QoS 1/2). */
export function packetIdOffset(buf: Buffer): number {
  let o = 1;
  while ((buf[o]! & 0x80) !== 0) o++;
  o++;
  return o + 2 + buf.readUInt16BE(o);
}

export function setPacketId(buf: Buffer, at: number, id: number): void {
  buf.writeUInt16BE(id, at);
}

/** Fixed-header first bytes of the acknowledgements (PUBREL's flags are 0b0010). */
export const PUBACK = 0x40;
export const PUBREC = 0x50;
export const PUBREL = 0x62;
export const PUBCOMP = 0x70;

/**
 * An acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP) for `id`. Reason 0 is sent in the
 * two-byte form both versions share (MQTT 5 §3.4.2.1: success, no properties); another
 * reason (MQTT 5 only) with an empty property block omitted, as the spec allows.
 */
export function encodeAck(b0: number, id: number, reason = 0): Buffer {
  const b = Buffer.allocUnsafe(reason === 0 ? 4 : 5);
  b[0] = b0;
  b[1] = reason === 0 ? 2 : 3;
  b.writeUInt16BE(id, 2);
  if (reason !== 0) b[4] = reason;
  return b;
}
