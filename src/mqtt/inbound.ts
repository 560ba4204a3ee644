/**
 * What a device reads of the PUBLISH flow a server sends: PUBLISH (on the topics it
 * subscribed to) and the acknowledgements of its own (PUBACK, PUBREC, PUBREL, PUBCOMP),
 * checked as strictly as strict.ts checks the rest. Each reader returns null for a
 * well-formed packet, leaving what it found in module state (reading is synchronous, so
 * nothing is allocated per packet), or what was wrong, for people.
 */
import { hex } from './strict.js';

/**
 * The PUBLISH just read: offsets into `buf` (valid until the reader goes on), -1 for a
 * property that is absent. Reused for every packet.
 */
export interface InboundPublish {
  buf: Buffer;
  qos: 0 | 1 | 2;
  dup: boolean;
  retain: boolean;
  /** 0 for QoS 0 */
  packetId: number;
  topicStart: number;
  topicEnd: number;
  payloadStart: number;
  payloadEnd: number;
  /** MQTT 5 Response Topic (the bytes of the UTF-8 string, without its length) */
  responseTopicStart: number;
  responseTopicEnd: number;
  /** MQTT 5 Correlation Data */
  correlationStart: number;
  correlationEnd: number;
  /** MQTT 5 User Property named `herd`: its value's bytes */
  herdStart: number;
  herdEnd: number;
}

export const inbound: InboundPublish = {
  buf: Buffer.alloc(0),
  qos: 0,
  dup: false,
  retain: false,
  packetId: 0,
  topicStart: 0,
  topicEnd: 0,
  payloadStart: 0,
  payloadEnd: 0,
  responseTopicStart: -1,
  responseTopicEnd: -1,
  correlationStart: -1,
  correlationEnd: -1,
  herdStart: -1,
  herdEnd: -1,
};

/** What readAck() found: the packet id and the reason code (0 when the packet has none). */
export const ack = { id: 0, reason: 0 };

const PUBLISH_IDS: Readonly<Record<number, string>> = {
  0x01: 'Payload Format Indicator',
  0x02: 'Message Expiry Interval',
  0x03: 'Content Type',
  0x08: 'Response Topic',
  0x09: 'Correlation Data',
  0x26: 'User Property',
};

/** Whether `buf[a, b)` holds a + or # (a topic name may hold neither). */
function hasWildcard(buf: Buffer, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (c === 0x2b || c === 0x23) return true;
  }
  return false;
}

/** A variable byte integer at `off` (below `end`): its value with `varEnd` past it, or -1. */
let varEnd = 0;
function varInt(buf: Buffer, off: number, end: number): number {
  let v = 0;
  let mul = 1;
  for (let k = 0; k < 4 && off + k < end; k++) {
    const b = buf[off + k]!;
    v += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) {
      varEnd = off + k + 1;
      return v;
    }
  }
  return -1;
}

/** The PUBLISH properties at `buf[p, stop)`, into `inbound`: null or a problem. */
function publishProperties(buf: Buffer, p: number, stop: number): string | null {
  let seen = 0;
  const m = inbound;
  while (p < stop) {
    const id = buf[p++]!;
    if (id === 0x23) return 'PUBLISH: Topic Alias (the device allows none)';
    if (id === 0x0b) return 'PUBLISH: Subscription Identifier (the device subscribed with none)';
    if (PUBLISH_IDS[id] === undefined) return `PUBLISH: property ${hex(id)} is not one it may carry`;
    if (id !== 0x26) {
      const bit = 1 << (id & 15);
      if ((seen & bit) !== 0) return `PUBLISH: property ${hex(id)} twice`;
      seen |= bit;
    }
    if (id === 0x01) {
      if (p + 1 > stop) return `PUBLISH: property ${hex(id)} runs past the properties`;
      if (buf[p]! > 1) return `PUBLISH: property ${hex(id)} out of range`;
      p += 1;
      continue;
    }
    if (id === 0x02) {
      if (p + 4 > stop) return `PUBLISH: property ${hex(id)} runs past the properties`;
      p += 4;
      continue;
    }
    // UTF-8 strings and binary data: two length bytes each; a user property is two strings
    if (p + 2 > stop) return `PUBLISH: property ${hex(id)} runs past the properties`;
    const a = p + 2;
    const b = a + buf.readUInt16BE(p);
    if (b > stop) return `PUBLISH: property ${hex(id)} runs past the properties`;
    p = b;
    if (id === 0x08) {
      if (b === a) return 'PUBLISH: an empty Response Topic';
      if (hasWildcard(buf, a, b)) return 'PUBLISH: a Response Topic with a wildcard';
      m.responseTopicStart = a;
      m.responseTopicEnd = b;
    } else if (id === 0x09) {
      m.correlationStart = a;
      m.correlationEnd = b;
    } else if (id === 0x26) {
      if (p + 2 > stop) return `PUBLISH: property ${hex(id)} runs past the properties`;
      const va = p + 2;
      const vb = va + buf.readUInt16BE(p);
      if (vb > stop) return `PUBLISH: property ${hex(id)} runs past the properties`;
      p = vb;
      if (b - a === 4 && buf[a] === 0x68 && buf[a + 1] === 0x65 && buf[a + 2] === 0x72 && buf[a + 3] === 0x64) {
        m.herdStart = va;
        m.herdEnd = vb;
      }
    }
  }
  return null;
}

/**
 * A PUBLISH (`flags`: its fixed-header flags, QoS 3 already refused by the reader;
 * `buf[start, end)`: variable header and payload), read into `inbound`.
 */
export function readPublish(flags: number, buf: Buffer, start: number, end: number, v5: boolean): string | null {
  const m = inbound;
  const qos = ((flags >> 1) & 3) as 0 | 1 | 2;
  m.buf = buf;
  m.qos = qos;
  m.dup = (flags & 8) !== 0;
  m.retain = (flags & 1) !== 0;
  m.responseTopicStart = m.responseTopicEnd = m.correlationStart = m.correlationEnd = -1;
  m.herdStart = m.herdEnd = -1;
  if (qos === 0 && m.dup) return 'PUBLISH with DUP set at QoS 0';
  if (end - start < 2) return `PUBLISH remaining length ${end - start} (at least 2)`;
  const tl = buf.readUInt16BE(start);
  let p = start + 2 + tl;
  if (p + (qos > 0 ? 2 : 0) > end) return `PUBLISH topic of ${tl} bytes runs past the packet`;
  if (tl === 0) return 'PUBLISH with an empty topic';
  if (hasWildcard(buf, start + 2, p)) return 'PUBLISH to a topic with a wildcard';
  m.topicStart = start + 2;
  m.topicEnd = p;
  m.packetId = 0;
  if (qos > 0) {
    m.packetId = buf.readUInt16BE(p);
    if (m.packetId === 0) return 'PUBLISH with packet id 0';
    p += 2;
  }
  if (v5) {
    const len = varInt(buf, p, end);
    if (len < 0 || varEnd + len > end) return 'PUBLISH: property length past the end of the packet';
    const problem = publishProperties(buf, varEnd, varEnd + len);
    if (problem !== null) return problem;
    p = varEnd + len;
  }
  m.payloadStart = p;
  m.payloadEnd = end;
  return null;
}

/** Reason codes (MQTT 5 §3.4.2.1, §3.5.2.1; §3.6.2.1, §3.7.2.1). */
const PUBACK_REASONS = new Set([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);
const PUBREL_REASONS = new Set([0x00, 0x92]);
const ACK_NAMES = ['', '', '', '', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP'] as const;

/** PUBACK (4), PUBREC (5), PUBREL (6) or PUBCOMP (7), read into `ack`. */
export function readAck(
  type: number,
  flags: number,
  buf: Buffer,
  start: number,
  end: number,
  v5: boolean,
): string | null {
  const name = ACK_NAMES[type]!;
  const want = type === 6 ? 2 : 0;
  if (flags !== want) return `${name} fixed header flags ${hex(flags)} (must be ${hex(want)})`;
  const len = end - start;
  if (v5 ? len < 2 : len !== 2) return `${name} remaining length ${len} (${v5 ? 'at least 2' : '3.1.1: exactly 2'})`;
  ack.id = buf.readUInt16BE(start);
  if (ack.id === 0) return `${name} with packet id 0`;
  ack.reason = len > 2 ? buf[start + 2]! : 0;
  if (!(type === 4 || type === 5 ? PUBACK_REASONS : PUBREL_REASONS).has(ack.reason))
    return `${name} reason code ${hex(ack.reason)} (not a ${name} code)`;
  if (len <= 3) return null;
  const plen = varInt(buf, start + 3, end);
  if (plen < 0 || varEnd + plen !== end)
    return plen < 0 || varEnd + plen > end
      ? `${name}: property length past the end of the packet`
      : `${name}: ${end - varEnd - plen} bytes after the properties`;
  let p = varEnd;
  let reasonString = false;
  while (p < end) {
    const id = buf[p++]!;
    if (id !== 0x1f && id !== 0x26) return `${name}: property ${hex(id)} is not one it may carry`;
    if (id === 0x1f) {
      if (reasonString) return `${name}: property ${hex(id)} twice`;
      reasonString = true;
    }
    for (let k = id === 0x26 ? 2 : 1; k > 0; k--) {
      if (p + 2 > end) return `${name}: property ${hex(id)} runs past the properties`;
      p += 2 + buf.readUInt16BE(p);
    }
    if (p > end) return `${name}: property ${hex(id)} runs past the properties`;
  }
  return null;
}
