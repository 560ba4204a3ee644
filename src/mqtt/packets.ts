/**
 * The few MQTT packets a simulated device sends, encoded once per device with mqtt-packet,
 * and a minimal hand-written incremental reader for what it receives (bench/packets.ts
 * measures why), and of MQTT 5 property blocks. The reader frames packets and hands each
 * to its handler (a PUBLISH too, up to MAX_PUBLISH bytes; publish.ts and inbound.ts
 * encode and read the PUBLISH flow); strict.ts says whether a packet is well-formed,
 * receive.ts what the device does with it.
 */
import mqttPacket, { type IConnectPacket, type ISubscribePacket } from 'mqtt-packet';

export type MqttVersion = 4 | 5;

/** Control packet types (high nibble of the first byte). */
export const PacketType = {
  connack: 2,
  publish: 3,
  suback: 9,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
} as const;

interface EncodeOptions {
  version: MqttVersion;
  /** seconds, 0–65535; 0 disables keepalive */
  keepaliveS: number;
  /** topic template; `{id}` is replaced by the device id. Undefined: no SUBSCRIBE. */
  subscribe?: string | undefined;
  /** QoS requested for the subscription (default 0) */
  subscribeQos?: 0 | 1 | 2 | undefined;
  /** more filters in the same SUBSCRIBE (a commands stream's command topic), already filled */
  extraSubscriptions?: readonly { topic: string; qos: 0 | 1 | 2 }[] | undefined;
  /** clean start (default true); false: the broker keeps the session across connections */
  clean?: boolean | undefined;
  /** MQTT 5 Session Expiry Interval, seconds (with clean false; default 0) */
  sessionExpiryS?: number | undefined;
  /** username template (`{id}` replaced); undefined: none */
  username?: string | undefined;
}

export interface DevicePackets {
  readonly version: MqttVersion;
  readonly keepaliveS: number;
  readonly connect: Buffer;
  readonly subscribe: Buffer | null;
  /** filters in the SUBSCRIBE (SUBACK carries one code each) */
  readonly subscriptions: number;
  /** the CONNECT asked for a clean start */
  readonly clean: boolean;
}

/** Static packets: the same bytes for every device and both versions. */
export const PINGREQ: Buffer = mqttPacket.generate({ cmd: 'pingreq' });
/**
 * DISCONNECT with a remaining length of zero. mqtt-packet's MQTT 5 encoding always writes
 * the reason code and an empty property block; MQTT 5 (§3.14.2.1) defines the two-byte
 * 3.1.1 form as the same packet (reason 0x00, normal disconnection, no properties).
 */
export const DISCONNECT: Buffer = mqttPacket.generate({ cmd: 'disconnect' }, { protocolVersion: 4 });

/** Throws a RangeError when `s` does not fit an MQTT UTF-8 string (65535 bytes). */
function checkLength(s: string, what: string): void {
  if (Buffer.byteLength(s, 'utf8') > 65_535) throw new RangeError(`${what} is longer than 65535 bytes`);
}

function fill(template: string, id: string): string {
  return template.split('{id}').join(id);
}

/**
 * CONNECT with the device id as client id, clean start unless `clean` is false, optional
 * username; MQTT 5: a Session Expiry Interval when one is given, no other properties.
 */
export function encodeConnect(id: string, o: EncodeOptions): Buffer {
  if (!Number.isInteger(o.keepaliveS) || o.keepaliveS < 0 || o.keepaliveS > 65_535) {
    throw new RangeError(`keepalive must be 0–65535 s, got ${o.keepaliveS}`);
  }
  checkLength(id, 'client id');
  const packet: IConnectPacket = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: o.version,
    clean: o.clean ?? true,
    keepalive: o.keepaliveS,
    clientId: id,
  };
  if (o.version === 5 && o.sessionExpiryS !== undefined && o.sessionExpiryS > 0) {
    if (!Number.isInteger(o.sessionExpiryS) || o.sessionExpiryS > 0xffffffff)
      throw new RangeError(`session expiry must be 0–4294967295 s, got ${o.sessionExpiryS}`);
    packet.properties = { sessionExpiryInterval: o.sessionExpiryS };
  }
  if (o.username !== undefined) {
    packet.username = fill(o.username, id);
    checkLength(packet.username, 'username');
  }
  return mqttPacket.generate(packet, { protocolVersion: o.version });
}

/** SUBSCRIBE (packet id 1: the first packet id of every connection) to one topic; MQTT 5: no properties. */
export function encodeSubscribe(topic: string, version: MqttVersion, qos: 0 | 1 | 2 = 0): Buffer {
  return encodeSubscribeMany([{ topic, qos }], version);
}

/** SUBSCRIBE (packet id 1) to several filters at once; MQTT 5: no properties. */
export function encodeSubscribeMany(
  filters: readonly { topic: string; qos: 0 | 1 | 2 }[],
  version: MqttVersion,
): Buffer {
  if (filters.length === 0) throw new RangeError('a SUBSCRIBE needs a filter');
  for (const f of filters) {
    checkLength(f.topic, 'topic');
    if (f.topic.length === 0) throw new RangeError('the subscription topic is empty');
  }
  const packet: ISubscribePacket = {
    cmd: 'subscribe',
    messageId: 1,
    subscriptions: filters.map((f) => ({ topic: f.topic, qos: f.qos })),
  };
  return mqttPacket.generate(packet, { protocolVersion: version });
}

export function encodeDevicePackets(id: string, o: EncodeOptions): DevicePackets {
  const filters = [
    ...(o.subscribe === undefined ? [] : [{ topic: fill(o.subscribe, id), qos: o.subscribeQos ?? 0 }]),
    ...(o.extraSubscriptions ?? []),
  ];
  return {
    version: o.version,
    keepaliveS: o.keepaliveS,
    connect: encodeConnect(id, o),
    subscribe: filters.length === 0 ? null : encodeSubscribeMany(filters, o.version),
    subscriptions: filters.length,
    clean: o.clean ?? true,
  };
}

/** Largest packet the reader buffers, PUBLISH aside. */
const MAX_BUFFERED_PACKET = 65_536;
/** Largest PUBLISH the reader buffers (a longer one is malformed for a device). */
export const MAX_PUBLISH = 1_048_576;

/** Where the last readVarInt() ended (module state: reading is synchronous). */
let varIntEnd = 0;
/** readVarInt(): the bytes end before the integer does */
const VARINT_INCOMPLETE = -1;
/** readVarInt(): a fifth byte (an integer is at most four) */
const VARINT_MALFORMED = -2;

/**
 * Reads an MQTT variable byte integer (1–4 bytes, 7 bits each; the remaining length, a
 * property length) at `buf[off, end)`: its value, with varIntEnd just past it, or
 * VARINT_INCOMPLETE or VARINT_MALFORMED.
 */
function readVarInt(buf: Buffer, off: number, end: number): number {
  let v = 0;
  let mul = 1;
  for (let k = 0; k < 4; k++) {
    if (off + k >= end) return VARINT_INCOMPLETE;
    const b = buf[off + k]!;
    v += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) {
      varIntEnd = off + k + 1;
      return v;
    }
  }
  return VARINT_MALFORMED;
}

/**
 * Per-connection reader state. Kept on the connection object itself so that reading
 * allocates nothing unless a packet is split across TLS records.
 */
export interface ReaderState {
  /** bytes of an incomplete packet carried over from the previous chunk */
  partial: Buffer | null;
}

/**
 * Called for each complete packet. `buf[start, end)` is the variable
 * header and payload, `buf[at]` the packet's first byte. Return false to stop reading (the
 * connection is done with).
 */
type PacketHandler<S> = (
  state: S,
  type: number,
  flags: number,
  buf: Buffer,
  start: number,
  end: number,
  at: number,
) => boolean;

export const FEED_OK = 0;
const FEED_STOPPED = 1;
export const FEED_MALFORMED = 2;

/**
 * Reads every complete packet in `chunk` (after what was left over). On FEED_MALFORMED
 * `state.partial` holds the bytes from the malformed packet on, for a report of what arrived.
 */
export function feed<S extends ReaderState>(state: S, chunk: Buffer, onPacket: PacketHandler<S>): number {
  let buf = chunk;
  if (state.partial !== null) {
    buf = Buffer.concat([state.partial, chunk]);
    state.partial = null;
  }
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b0 = buf[i]!;
    const rl = readVarInt(buf, i + 1, n);
    if (rl === VARINT_MALFORMED) return malformed(state, buf, i);
    if (rl === VARINT_INCOMPLETE) {
      state.partial = buf.subarray(i);
      return FEED_OK;
    }
    const j = varIntEnd;
    const type = b0 >> 4;
    if (type === PacketType.publish) {
      if ((b0 & 0x06) === 0x06 || rl > MAX_PUBLISH) return malformed(state, buf, i); // QoS 3, or too long
    } else if (type === 0 || rl > MAX_BUFFERED_PACKET) return malformed(state, buf, i);
    const end = j + rl;
    if (end > n) {
      state.partial = buf.subarray(i);
      return FEED_OK;
    }
    if (!onPacket(state, type, b0 & 0x0f, buf, j, end, i)) return FEED_STOPPED;
    i = end;
  }
  return FEED_OK;
}

function malformed(state: ReaderState, buf: Buffer, at: number): number {
  state.partial = buf.subarray(at);
  return FEED_MALFORMED;
}

/** The MQTT 5 properties a packet from the server may carry: id → value width (0: UTF-8/binary, -1: string pair). */
type PropertyTable = Readonly<Record<number, number>>;

/** CONNACK (MQTT 5 §3.2.2.3). */
export const CONNACK_PROPERTIES: PropertyTable = {
  0x11: 4, // Session Expiry Interval
  0x21: 2, // Receive Maximum
  0x24: 1, // Maximum QoS
  0x25: 1, // Retain Available
  0x27: 4, // Maximum Packet Size
  0x12: 0, // Assigned Client Identifier
  0x22: 2, // Topic Alias Maximum
  0x1f: 0, // Reason String
  0x26: -1, // User Property
  0x28: 1, // Wildcard Subscription Available
  0x29: 1, // Subscription Identifiers Available
  0x2a: 1, // Shared Subscription Available
  0x13: 2, // Server Keep Alive
  0x1a: 0, // Response Information
  0x1c: 0, // Server Reference
  0x15: 0, // Authentication Method
  0x16: 0, // Authentication Data
};
/** SUBACK (§3.9.2.1). */
export const SUBACK_PROPERTIES: PropertyTable = { 0x1f: 0, 0x26: -1 };
/** DISCONNECT from a server (§3.14.2.2: Session Expiry Interval is the client's only). */
export const DISCONNECT_PROPERTIES: PropertyTable = { 0x1f: 0, 0x26: -1, 0x1c: 0 };

/** Properties whose one-byte value is 0 or 1, and two- or four-byte ones that must not be 0. */
const BOOLEAN_PROPERTY = new Set([0x24, 0x25, 0x28, 0x29, 0x2a]);
const NONZERO_PROPERTY = new Set([0x21, 0x27]);

export const PROPS_OK = 0;
/** the block's length runs past the packet, or is not a variable byte integer */
export const PROPS_LENGTH = 1;
/** an id the packet may not carry (property.id) */
export const PROPS_UNKNOWN = 2;
/** an id that may appear once appeared again (property.id) */
export const PROPS_DUPLICATE = 3;
/** a value out of its range (property.id) */
export const PROPS_VALUE = 4;
/** a value runs past the end of the block (property.id) */
export const PROPS_TRUNCATED = 5;

/**
 * What readProperties() found (module state: reading is synchronous): where the block
 * ended, the property a problem is about, the Server Keep Alive (-1: absent) and the
 * Receive Maximum (65535: absent).
 */
export const property = { end: 0, id: 0, serverKeepAlive: -1, receiveMaximum: 65_535 };

/**
 * Reads an MQTT 5 property block at `buf[off, end)` against the properties `allowed`:
 * PROPS_OK with `property.end` just past it, or what is wrong (PROPS_*).
 */
export function readProperties(buf: Buffer, off: number, end: number, allowed: PropertyTable): number {
  property.serverKeepAlive = -1;
  property.receiveMaximum = 65_535;
  const len = readVarInt(buf, off, end);
  if (len < 0 || varIntEnd + len > end) return PROPS_LENGTH;
  let p = varIntEnd;
  const stop = p + len;
  let seenLow = 0; // ids 0–31, one bit each (every id here is below 64)
  let seenHigh = 0;
  while (p < stop) {
    const id = buf[p++]!;
    property.id = id;
    const w = allowed[id];
    if (w === undefined) return PROPS_UNKNOWN;
    if (w !== -1) {
      const bit = 1 << (id & 31);
      const seen = id < 32 ? seenLow : seenHigh;
      if ((seen & bit) !== 0) return PROPS_DUPLICATE;
      if (id < 32) seenLow |= bit;
      else seenHigh |= bit;
    }
    if (w > 0) {
      if (p + w > stop) return PROPS_TRUNCATED;
      const v = w === 1 ? buf[p]! : w === 2 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
      if ((BOOLEAN_PROPERTY.has(id) && v > 1) || (NONZERO_PROPERTY.has(id) && v === 0)) return PROPS_VALUE;
      if (id === 0x13) property.serverKeepAlive = v;
      else if (id === 0x21) property.receiveMaximum = v;
      p += w;
    } else {
      for (let k = w === -1 ? 2 : 1; k > 0; k--) {
        if (p + 2 > stop) return PROPS_TRUNCATED;
        p += 2 + buf.readUInt16BE(p);
      }
      if (p > stop) return PROPS_TRUNCATED;
    }
  }
  property.end = stop;
  return PROPS_OK;
}

/**
 * The Server Keep Alive (0x13) in a CONNACK's property block at `buf[off…]`: the value, -1
 * when absent, -2 when the properties are malformed.
 */
export function serverKeepAlive(buf: Buffer, off: number, end: number): number {
  return readProperties(buf, off, end, CONNACK_PROPERTIES) === PROPS_OK ? property.serverKeepAlive : -2;
}

/** Offset just past an MQTT 5 property block at `off`, or -1 when malformed. */
export function skipProperties(buf: Buffer, off: number, end: number): number {
  const len = readVarInt(buf, off, end);
  if (len < 0 || varIntEnd + len > end) return -1;
  return varIntEnd + len;
}
