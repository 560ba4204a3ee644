/**
 * The encoded packets are what mqtt-packet decodes them to and byte for byte what the
 * hand encoder they replaced wrote, the RangeErrors say what is wrong, and the reader finds
 * every packet however the bytes are split across or coalesced in TLS records.
 */
import { describe, expect, it } from 'vitest';
import mqttPacket, { type Packet } from 'mqtt-packet';
import {
  DISCONNECT,
  FEED_MALFORMED,
  FEED_OK,
  PINGREQ,
  encodeConnect,
  encodeDevicePackets,
  encodeSubscribe,
  feed,
  serverKeepAlive,
  skipProperties,
  type ReaderState,
} from '../../src/mqtt/packets.js';
import { malformedProblem } from '../../src/mqtt/strict.js';

function decode(buf: Buffer, protocolVersion: 4 | 5): Record<string, unknown> {
  const parser = mqttPacket.parser({ protocolVersion });
  const out: Packet[] = [];
  parser.on('packet', (p: Packet) => out.push(p));
  parser.on('error', (e: Error) => {
    throw e;
  });
  parser.parse(buf);
  expect(out).toHaveLength(1);
  return out[0] as unknown as Record<string, unknown>;
}

describe('encoding', () => {
  it.each([4, 5] as const)('CONNECT, MQTT %s: clean start, keepalive, client id = device id', (v) => {
    const p = decode(encodeConnect('dev-42', { version: v, keepaliveS: 60 }), v);
    expect(p).toMatchObject({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: v,
      clean: true,
      keepalive: 60,
      clientId: 'dev-42',
    });
    expect(p.username).toBeUndefined();
    expect(p.will).toBeUndefined();
  });

  it('CONNECT with a username template and a long (two-byte remaining length) client id', () => {
    const id = 'd'.repeat(300);
    const p = decode(encodeConnect(id, { version: 5, keepaliveS: 0, username: 'user-{id}' }), 5);
    expect(p).toMatchObject({ clientId: id, username: `user-${id}`, keepalive: 0 });
  });

  it('CONNECT refuses a keepalive out of range', () => {
    expect(() => encodeConnect('d', { version: 4, keepaliveS: 70_000 })).toThrow(/keepalive/);
  });

  it.each([-1, 1.5, 65_536])('CONNECT: keepalive %s is a RangeError', (keepaliveS) => {
    expect(() => encodeConnect('d', { version: 4, keepaliveS })).toThrow(RangeError);
  });

  it('over-long strings and an empty topic are RangeErrors that name the field', () => {
    const long = 'x'.repeat(65_536);
    expect(() => encodeConnect(long, { version: 5, keepaliveS: 0 })).toThrow(/client id is longer than 65535/);
    expect(() => encodeConnect('d', { version: 5, keepaliveS: 0, username: long })).toThrow(RangeError);
    expect(() => encodeConnect('d', { version: 5, keepaliveS: 0, username: long })).toThrow(/username/);
    expect(() => encodeSubscribe(long, 4)).toThrow(/topic is longer than 65535/);
    expect(() => encodeSubscribe('', 4)).toThrow(RangeError);
    expect(() => encodeSubscribe('', 4)).toThrow(/topic is empty/);
    // the limit is in UTF-8 bytes, not characters
    expect(() => encodeSubscribe('é'.repeat(32_768), 4)).toThrow(RangeError);
    expect(encodeSubscribe('x'.repeat(65_535), 4).length).toBe(1 + 3 + 2 + 2 + 65_535 + 1);
  });

  // bytes written by the hand encoder this one replaced, checked field by field against the spec
  it.each([
    [4, 'connect', '101200044d5154540402003c00066465762d3432'],
    [5, 'connect', '101300044d5154540502003c0000066465762d3432'],
    [4, 'connect+user', '101c00044d5154540482ffff00066465762d34320008752d6465762d3432'],
    [5, 'connect+user', '101d00044d5154540582ffff0000066465762d34320008752d6465762d3432'],
    [4, 'subscribe', '821b000100166465766963652f6465762d34322f636f6d6d616e647301'],
    [5, 'subscribe', '821c00010000166465766963652f6465762d34322f636f6d6d616e647301'],
    [4, 'subscribe qos 0', '820800010003642f7800'],
    [5, 'subscribe qos 0', '82090001000003642f7800'],
  ] as const)('MQTT %s %s: the same bytes as before', (v, what, hex) => {
    const bytes =
      what === 'connect'
        ? encodeConnect('dev-42', { version: v, keepaliveS: 60 })
        : what === 'connect+user'
          ? encodeConnect('dev-42', { version: v, keepaliveS: 65_535, username: 'u-{id}' })
          : what === 'subscribe'
            ? encodeSubscribe('device/dev-42/commands', v, 1)
            : encodeSubscribe('d/x', v);
    expect(bytes.toString('hex')).toBe(hex);
  });

  it('a two-byte remaining length: the same bytes as before', () => {
    const b = encodeConnect('d'.repeat(300), { version: 5, keepaliveS: 0 });
    expect(b.length).toBe(316);
    expect(b.subarray(0, 20).toString('hex')).toBe('10b90200044d5154540502000000012c64646464');
  });

  it.each([4, 5] as const)('SUBSCRIBE, MQTT %s: packet id 1, the topic, the QoS', (v) => {
    const p = decode(encodeSubscribe('device/dev-1/commands', v, 1), v);
    expect(p).toMatchObject({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'device/dev-1/commands', qos: 1 }],
    });
  });

  it('device packets fill {id} into the topic; none without a topic', () => {
    const a = encodeDevicePackets('dev-7', { version: 4, keepaliveS: 30, subscribe: 'device/{id}/commands' });
    expect(decode(a.subscribe!, 4)).toMatchObject({ subscriptions: [{ topic: 'device/dev-7/commands' }] });
    expect(encodeDevicePackets('dev-7', { version: 4, keepaliveS: 30 }).subscribe).toBeNull();
  });

  it('PINGREQ and DISCONNECT are the static two-byte packets of both versions', () => {
    expect(PINGREQ.toString('hex')).toBe('c000');
    expect(DISCONNECT.toString('hex')).toBe('e000');
    expect(decode(PINGREQ, 4)).toMatchObject({ cmd: 'pingreq' });
    expect(decode(DISCONNECT, 4)).toMatchObject({ cmd: 'disconnect' });
    expect(decode(DISCONNECT, 5)).toMatchObject({ cmd: 'disconnect' });
  });
});

interface Seen extends ReaderState {
  got: string[];
}
const collect = (s: Seen, type: number, _f: number, buf: Buffer, start: number, end: number): boolean => {
  s.got.push(`${type}:${buf.subarray(start, end).toString('hex')}`);
  return true;
};
const fresh = (): Seen => ({ partial: null, got: [] });

const gen = (p: object, v: 4 | 5 = 4) => mqttPacket.generate(p as Packet, { protocolVersion: v });
const connack = gen({ cmd: 'connack', returnCode: 0, sessionPresent: false });
const suback = gen({ cmd: 'suback', messageId: 1, granted: [0] });
const pingresp = gen({ cmd: 'pingresp' });
const publish = gen({
  cmd: 'publish',
  topic: 'device/dev-1/commands',
  payload: Buffer.alloc(20_000, 7),
  qos: 0,
  retain: false,
  dup: false,
});

describe('reading', () => {
  const stream = Buffer.concat([connack, publish, suback, pingresp]);
  const expected = ['2:0000', `3:${publish.subarray(4).toString('hex')}`, '9:000100', '13:'];

  it('coalesced: every packet in one chunk, a PUBLISH among them', () => {
    const s = fresh();
    expect(feed(s, stream, collect)).toBe(FEED_OK);
    expect(s.got).toEqual(expected);
  });

  it('split at every byte boundary of the non-PUBLISH part, and byte by byte', () => {
    for (let cut = 1; cut < connack.length + 8; cut++) {
      const s = fresh();
      feed(s, stream.subarray(0, cut), collect);
      feed(s, stream.subarray(cut), collect);
      expect(s.got).toEqual(expected);
    }
    const s = fresh();
    for (let i = 0; i < stream.length; i++) feed(s, stream.subarray(i, i + 1), collect);
    expect(s.got).toEqual(expected);
    expect(s.partial).toBeNull();
  });

  it('a PUBLISH split over chunks is waited for; one longer than 1 MiB is malformed', () => {
    const s = fresh();
    feed(s, publish.subarray(0, 100), collect);
    expect(s.partial).toHaveLength(100);
    expect(s.got).toEqual([]);
    feed(s, publish.subarray(100), collect);
    expect(s.got).toEqual([expected[1]]);
    // remaining length 1 MiB + 1 (0x80 0x80 0x40 is 1 MiB)
    expect(feed(fresh(), Buffer.from([0x30, 0x81, 0x80, 0x40]), collect)).toBe(FEED_MALFORMED);
  });

  it('a remaining length of more than four bytes is malformed', () => {
    expect(feed(fresh(), Buffer.from([0x20, 0xff, 0xff, 0xff, 0xff, 0x01]), collect)).toBe(FEED_MALFORMED);
  });

  it('a four-byte remaining length split after its third byte is waited for, not malformed', () => {
    const s = fresh();
    expect(feed(s, Buffer.from([0x30, 0xff, 0xff, 0xff]), collect)).toBe(FEED_OK);
    expect(s.partial).not.toBeNull();
    // whole, it says 4 MiB − 1: longer than the 1 MiB PUBLISH a device reads (not a five-byte length)
    expect(feed(s, Buffer.from([0x01]), collect)).toBe(FEED_MALFORMED);
    expect(malformedProblem(s.partial!)).toBe('PUBLISH longer than the 1 MiB the device reads');
  });

  it('a handler returning false stops reading', () => {
    const s = fresh();
    const once = (st: Seen, ...rest: [number, number, Buffer, number, number]) => (collect(st, ...rest), false);
    feed(s, stream, once);
    expect(s.got).toHaveLength(1);
  });
});

describe('MQTT 5 properties', () => {
  it('finds the Server Keep Alive among other CONNACK properties (mqtt-packet encoded)', () => {
    const p = gen(
      {
        cmd: 'connack',
        reasonCode: 0,
        sessionPresent: false,
        properties: {
          receiveMaximum: 20,
          topicAliasMaximum: 10,
          assignedClientIdentifier: 'x',
          serverKeepAlive: 15,
          userProperties: { a: 'b' },
          reasonString: 'ok',
        },
      },
      5,
    );
    const s = fresh();
    expect.assertions(1); // in the packet callback: it must run
    feed(s, p, (_s, _t, _f, buf, start, end) => {
      expect(serverKeepAlive(buf, start + 2, end)).toBe(15);
      return true;
    });
  });

  it('absent: -1; malformed: -2', () => {
    const p = gen({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { receiveMaximum: 20 } }, 5);
    expect(serverKeepAlive(p, 4, p.length)).toBe(-1);
    expect(serverKeepAlive(Buffer.from([0x05, 0x13, 0x00]), 0, 3)).toBe(-2);
    expect(serverKeepAlive(Buffer.from([0x02, 0x7e, 0x00]), 0, 3)).toBe(-2);
    // a property length of five bytes, or one cut short
    expect(serverKeepAlive(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x00]), 0, 5)).toBe(-2);
    expect(serverKeepAlive(Buffer.from([0x80]), 0, 1)).toBe(-2);
    expect(skipProperties(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x00]), 0, 5)).toBe(-1);
  });

  it('skipProperties steps over a SUBACK property block', () => {
    const p = gen({ cmd: 'suback', messageId: 1, granted: [1], properties: { reasonString: 'fine' } }, 5);
    const s = fresh();
    expect.assertions(1); // in the packet callback: it must run
    feed(s, p, (_s, _t, _f, buf, start, end) => {
      const at = skipProperties(buf, start + 2, end);
      expect(buf[at]).toBe(1);
      return true;
    });
  });
});
