/**
 * The header every herd message carries at the start of its payload, so that whoever
 * receives it can tell, with no state shared with the sender, which stream and publisher
 * it came from, its sequence number and when it was meant to be sent:
 *
 *   0  'h' 'd'       magic (0x68 0x64)
 *   2  version       1
 *   3  stream        index of the stream in the run's traffic (0–255)
 *   4  device        u32 big-endian: the publisher's device index (controllers: 0xffffff00 + n)
 *   8  seq           u32 big-endian: the publisher's sequence number in the stream, from 0
 *   12 intended      f64 big-endian: epoch ms the schedule meant it to be sent
 *   20 correlation   u32 big-endian: a command's id (a response repeats it), else 0
 *
 * 24 bytes; the rest of the payload is filler (or the template's text after it). Times are
 * epoch milliseconds from performance.timeOrigin + performance.now() in every thread and
 * process of a run on one machine, so they compare without correction; across machines
 * (shards) delivery latency is only as good as their clock sync (NTP: ~1 ms on a LAN),
 * which is why every receiver measures what it received from its own machine's publishers
 * where it can and shards merge histograms, not clocks.
 */

export const HEADER_BYTES = 24;
const MAGIC0 = 0x68;
const MAGIC1 = 0x64;
const VERSION = 1;

export interface MessageHeader {
  stream: number;
  device: number;
  seq: number;
  intended: number;
  correlation: number;
}

/** Writes the header at the start of `buf` (at least HEADER_BYTES long). */
export function writeHeader(buf: Buffer, h: MessageHeader, off = 0): void {
  buf[off] = MAGIC0;
  buf[off + 1] = MAGIC1;
  buf[off + 2] = VERSION;
  buf[off + 3] = h.stream;
  buf.writeUInt32BE(h.device >>> 0, off + 4);
  buf.writeUInt32BE(h.seq >>> 0, off + 8);
  buf.writeDoubleBE(h.intended, off + 12);
  buf.writeUInt32BE(h.correlation >>> 0, off + 20);
}

/** The header at `buf[off…end)`, or null when the payload is not a herd message. */
export function readHeader(buf: Buffer, off = 0, end = buf.length): MessageHeader | null {
  if (end - off < HEADER_BYTES || buf[off] !== MAGIC0 || buf[off + 1] !== MAGIC1 || buf[off + 2] !== VERSION)
    return null;
  return {
    stream: buf[off + 3]!,
    device: buf.readUInt32BE(off + 4),
    seq: buf.readUInt32BE(off + 8),
    intended: buf.readDoubleBE(off + 12),
    correlation: buf.readUInt32BE(off + 20),
  };
}

/** The device index a controller's messages carry: above every device's. */
export const CONTROLLER_BASE = 0xffffff00;

const HEX_MAGIC = '686401';

/** The header as 48 hex characters, for text payloads (a template's `{herd}`). */
export function hexHeader(h: MessageHeader): string {
  const b = Buffer.allocUnsafe(HEADER_BYTES);
  writeHeader(b, h);
  return b.toString('hex');
}

/** A header written as hex anywhere in a text payload, or null. */
export function findHexHeader(payload: Buffer): MessageHeader | null {
  const i = payload.indexOf(HEX_MAGIC, 0, 'latin1');
  if (i < 0 || i + HEADER_BYTES * 2 > payload.length) return null;
  const hex = payload.toString('latin1', i, i + HEADER_BYTES * 2);
  if (!/^[0-9a-f]+$/.test(hex)) return null;
  return readHeader(Buffer.from(hex, 'hex'));
}

/**
 * The header an MQTT 5 PUBLISH carries in its `herd` user property (a template without
 * `{herd}`): 48 hex characters, or null. `value` is the property as a client library gives
 * it (a string, or a list when the property repeats).
 */
export function userPropertyHeader(value: string | string[] | undefined): MessageHeader | null {
  const hex = Array.isArray(value) ? value.at(-1) : value;
  if (hex === undefined || hex.length !== HEADER_BYTES * 2 || !hex.startsWith(HEX_MAGIC) || !/^[0-9a-f]+$/.test(hex))
    return null;
  return readHeader(Buffer.from(hex, 'hex'));
}
