/**
 * Protocol strictness: what the driver accepts from a server, byte by byte. Each check
 * returns null for a well-formed packet (allocating nothing) or, for people, what was wrong
 * ("CONNACK flags 0x01 with clean start"); showBytes() renders what arrived. The reader
 * (packets.ts) has framed the packet already; the connection (receive.ts) acts on it.
 */
import {
  CONNACK_PROPERTIES,
  DISCONNECT_PROPERTIES,
  PROPS_DUPLICATE,
  PROPS_LENGTH,
  PROPS_OK,
  PROPS_TRUNCATED,
  PROPS_UNKNOWN,
  SUBACK_PROPERTIES,
  property,
  readProperties,
} from './packets.js';

/** Control packet names by type (the high nibble of the first byte). */
export const PACKET_NAMES = [
  'reserved packet type 0',
  'CONNECT',
  'CONNACK',
  'PUBLISH',
  'PUBACK',
  'PUBREC',
  'PUBREL',
  'PUBCOMP',
  'SUBSCRIBE',
  'SUBACK',
  'UNSUBSCRIBE',
  'UNSUBACK',
  'PINGREQ',
  'PINGRESP',
  'DISCONNECT',
  'AUTH',
] as const;

/** The fixed-header flags each type must have (-1: PUBLISH's own; type 0 is reserved). */
const FIXED_FLAGS = [-2, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0] as const;

/** MQTT 5 CONNACK reason codes (§3.2.2.2). */
const CONNACK_CODES_V5 = new Set([
  0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b,
  0x9c, 0x9d, 0x9f,
]);
/** SUBACK codes: 3.1.1 (§3.9.3) and MQTT 5 (§3.9.3). */
const SUBACK_CODES_V3 = new Set([0x00, 0x01, 0x02, 0x80]);
const SUBACK_CODES_V5 = new Set([0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]);
/** DISCONNECT reason codes a server may send (§3.14.2.1; 0x04 is the client's). */
const DISCONNECT_CODES_V5 = new Set([
  0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
  0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
]);

/** Bytes shown of what arrived. */
const SHOWN_BYTES = 16;

export function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/**
 * The first bytes of `buf[start, end)` as hex and, with `text`, printable ASCII (other
 * bytes as dots): `48 54 54 50 "HTTP"`.
 */
export function showBytes(buf: Buffer, start = 0, end = buf.length, text = true): string {
  const stop = Math.min(end, start + SHOWN_BYTES);
  let hexes = '';
  let printable = '';
  for (let i = start; i < stop; i++) {
    const b = buf[i]!;
    hexes += `${i > start ? ' ' : ''}${b.toString(16).padStart(2, '0')}`;
    printable += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  }
  const more = end > stop ? ' …' : '';
  return text ? `${hexes}${more} "${printable}"` : `${hexes}${more}`;
}

/** The packet a first byte announces, when its flags are the ones the type requires; else null. */
function packetOf(b0: number): string | null {
  const type = b0 >> 4;
  const want = FIXED_FLAGS[type]!;
  const flags = b0 & 0x0f;
  const ok = want === -1 ? (flags & 0x06) !== 0x06 : flags === want;
  return ok ? PACKET_NAMES[type]! : null;
}

/**
 * The start of the first packet after CONNECT, as soon as its first byte (`b0`) and the
 * first byte of its remaining length (`b1`, undefined until it arrives) are there: it must
 * be a CONNACK (0x20), two bytes long in 3.1.1 and at least two in 5.
 */
export function firstPacketProblem(b0: number, b1: number | undefined, v5: boolean): string | null {
  if (b0 !== 0x20) {
    if (b0 >> 4 === 2) return `CONNACK fixed header ${hex(b0)} (must be 0x20)`;
    const name = packetOf(b0);
    return name === null ? 'not MQTT' : `${name} instead of CONNACK`;
  }
  if (b1 === undefined) return null;
  if (!v5 && b1 !== 2) return `CONNACK remaining length ${b1} (3.1.1: exactly 2)`;
  if (b1 < 2) return `CONNACK remaining length ${b1} (at least 2)`;
  return null;
}

/** What readProperties() found wrong (r is not PROPS_OK), or bytes left after a block that ends a packet. */
function propertiesProblem(what: string, r: number, packetEnd: number): string | null {
  if (r === PROPS_OK) {
    const extra = packetEnd - property.end;
    return extra <= 0 ? null : `${what}: ${extra} bytes after the properties`;
  }
  if (r === PROPS_LENGTH) return `${what}: property length past the end of the packet`;
  const id = hex(property.id);
  if (r === PROPS_UNKNOWN) return `${what}: property ${id} is not one it may carry`;
  if (r === PROPS_DUPLICATE) return `${what}: property ${id} twice`;
  if (r === PROPS_TRUNCATED) return `${what}: property ${id} runs past the properties`;
  return `${what}: property ${id} out of range`;
}

/**
 * A CONNACK (`buf[start, end)`: its variable header) in answer to our CONNECT, which asks
 * for a clean start unless `clean` is false (then session present may be set). `v5`: the
 * client spoke MQTT 5; a two-byte 3.1.1 CONNACK is still accepted then (a server that
 * lacks 5 answers so). Sets property.serverKeepAlive (-1: none) and property.receiveMaximum.
 */
export function connackProblem(
  flags: number,
  buf: Buffer,
  start: number,
  end: number,
  v5: boolean,
  clean = true,
): string | null {
  property.serverKeepAlive = -1;
  property.receiveMaximum = 65_535;
  const len = end - start;
  if (flags !== 0) return `CONNACK fixed header flags ${hex(flags)} (must be 0)`;
  if (len < 2) return `CONNACK remaining length ${len} (at least 2)`;
  if (!v5 && len !== 2) return `CONNACK remaining length ${len} (3.1.1: exactly 2)`;
  const ack = buf[start]!;
  const code = buf[start + 1]!;
  if ((ack & 0xfe) !== 0) return `CONNACK acknowledge flags ${hex(ack)}: reserved bits set`;
  if (ack === 1 && clean) return 'CONNACK flags 0x01 with clean start';
  if (ack === 1 && code !== 0)
    return `CONNACK flags 0x01 with ${v5 && len > 2 ? 'reason' : 'return'} code ${hex(code)}`;
  const encodedV5 = v5 && len > 2;
  if (encodedV5 ? !CONNACK_CODES_V5.has(code) : code > 5)
    return encodedV5
      ? `CONNACK reason code ${hex(code)} (not an MQTT 5 CONNACK code)`
      : `CONNACK return code ${hex(code)} (3.1.1 knows 0–5)`;
  if (!encodedV5) return null;
  return propertiesProblem('CONNACK', readProperties(buf, start + 2, end, CONNACK_PROPERTIES), end);
}

/** The SUBACK to our one SUBSCRIBE (packet id 1, `filters` topic filters). */
export function subackProblem(
  flags: number,
  buf: Buffer,
  start: number,
  end: number,
  v5: boolean,
  filters = 1,
): string | null {
  if (flags !== 0) return `SUBACK fixed header flags ${hex(flags)} (must be 0)`;
  if (end - start < 3) return `SUBACK remaining length ${end - start} (at least 3)`;
  const id = buf.readUInt16BE(start);
  if (id !== 1) return `SUBACK for packet id ${id} (the SUBSCRIBE was 1)`;
  let p = start + 2;
  if (v5) {
    const r = readProperties(buf, p, end, SUBACK_PROPERTIES);
    if (r !== PROPS_OK) return propertiesProblem('SUBACK', r, end);
    p = property.end;
  }
  const n = end - p;
  if (n !== filters) return `SUBACK with ${n} reason codes for ${filters} subscription${filters === 1 ? '' : 's'}`;
  const codes = v5 ? SUBACK_CODES_V5 : SUBACK_CODES_V3;
  for (; p < end; p++) if (!codes.has(buf[p]!)) return `SUBACK code ${hex(buf[p]!)} (not a SUBACK code)`;
  return null;
}

/** A DISCONNECT from the server: MQTT 5 only, with a code a server may send. */
export function disconnectProblem(flags: number, buf: Buffer, start: number, end: number, v5: boolean): string | null {
  if (!v5) return 'DISCONNECT from the server (MQTT 3.1.1 has none)';
  if (flags !== 0) return `DISCONNECT fixed header flags ${hex(flags)} (must be 0)`;
  if (end === start) return null;
  const code = buf[start]!;
  if (!DISCONNECT_CODES_V5.has(code)) return `DISCONNECT reason code ${hex(code)} (not one a server sends)`;
  if (end - start === 1) return null;
  return propertiesProblem('DISCONNECT', readProperties(buf, start + 1, end, DISCONNECT_PROPERTIES), end);
}

/**
 * Any other packet (not CONNACK, SUBACK, DISCONNECT, nor the PUBLISH flow: inbound.ts) of `len` bytes: the client's
 * own packets and AUTH (the device never asks for enhanced authentication) must not come;
 * the rest must have their flags and length, and are then ignored.
 */
export function otherPacketProblem(type: number, flags: number, len: number): string | null {
  const name = PACKET_NAMES[type]!;
  switch (type) {
    case 1:
    case 8:
    case 10:
    case 12:
      return `${name} from the server (a client's packet)`;
    case 15:
      return 'AUTH (the device asked for no enhanced authentication)';
  }
  if (flags !== FIXED_FLAGS[type])
    return `${name} fixed header flags ${hex(flags)} (must be ${hex(FIXED_FLAGS[type]!)})`;
  if (type === 13) return len === 0 ? null : `PINGRESP remaining length ${len} (must be 0)`;
  return len >= 2 ? null : `${name} remaining length ${len} (at least 2)`;
}

/** What made the reader give up (FEED_MALFORMED) on the bytes from `bytes[0]` on. */
export function malformedProblem(bytes: Buffer): string {
  const b0 = bytes[0]!;
  const type = b0 >> 4;
  if (type === 0) return 'reserved packet type 0';
  if (type === 3 && (b0 & 0x06) === 0x06) return 'PUBLISH with QoS 3';
  let n = 1;
  while (n < 5 && n < bytes.length && (bytes[n]! & 0x80) !== 0) n++;
  if (n === 5) return `${PACKET_NAMES[type]} remaining length longer than 4 bytes`;
  return `${PACKET_NAMES[type]} longer than the ${type === 3 ? '1 MiB' : '64 KiB'} the device reads`;
}
