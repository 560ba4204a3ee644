/**
 * The hand-written PUBLISH flow: what publish.ts encodes is what mqtt-packet decodes (QoS,
 * retain, packet id, MQTT 5 properties, payload), what inbound.ts reads of mqtt-packet's
 * PUBLISH and acks is right, and every malformed variant is named.
 */
import { describe, expect, it } from 'vitest';
import mqttPacket, { type Packet } from 'mqtt-packet';
import {
  PUBACK,
  PUBCOMP,
  PUBREC,
  PUBREL,
  allocPublish,
  encodeAck,
  encodePublishProperties,
  packetIdOffset,
  preparePublish,
  setPacketId,
} from '../../src/mqtt/publish.js';
import { ack, inbound, readAck, readPublish } from '../../src/mqtt/inbound.js';
import { encodeDevicePackets, encodeSubscribeMany } from '../../src/mqtt/packets.js';
import { connackProblem, subackProblem } from '../../src/mqtt/strict.js';

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

const gen = (p: object, v: 4 | 5) => mqttPacket.generate(p as Packet, { protocolVersion: v });

/** The variable header + payload of one packet: [flags, start, end] in `buf`. */
function body(buf: Buffer): [number, number, number] {
  let o = 1;
  while ((buf[o]! & 0x80) !== 0) o++;
  return [buf[0]! & 0x0f, o + 1, buf.length];
}

function publish(payload: Buffer, qos: 0 | 1 | 2, retain: boolean, v: 4 | 5, props?: object): Buffer {
  const p = preparePublish('devices/dev-1/telemetry', qos, retain, v, props);
  const buf = allocPublish(p, payload.length);
  payload.copy(buf, buf.length - payload.length);
  if (qos > 0) setPacketId(buf, packetIdOffset(buf), 4242);
  return buf;
}

describe('PUBLISH encoding', () => {
  it.each([
    [0, false, 4],
    [1, true, 4],
    [2, false, 4],
    [0, true, 5],
    [1, false, 5],
    [2, true, 5],
  ] as const)('QoS %s retain %s MQTT %s: decoded as sent', (qos, retain, v) => {
    const payload = Buffer.from('0123456789abcdef'.repeat(20));
    const p = decode(publish(payload, qos, retain, v), v);
    expect(p).toMatchObject({ cmd: 'publish', topic: 'devices/dev-1/telemetry', qos, retain, dup: false });
    expect(Buffer.from(p.payload as Uint8Array).equals(payload)).toBe(true);
    if (qos > 0) expect(p.messageId).toBe(4242);
  });

  it('MQTT 5 properties: message expiry, content type, user properties, response topic, correlation data', () => {
    const props = {
      messageExpiryS: 30,
      contentType: 'application/json',
      user: [
        ['a', 'b'],
        ['a', 'c'],
        ['d', 'é'],
      ] as const,
      responseTopic: 'devices/dev-1/responses',
      correlationData: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]),
    };
    const p = decode(publish(Buffer.from('x'), 1, false, 5, props), 5);
    expect(p.properties).toEqual({
      messageExpiryInterval: 30,
      contentType: 'application/json',
      userProperties: { a: ['b', 'c'], d: 'é' },
      responseTopic: 'devices/dev-1/responses',
      correlationData: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]),
    });
  });

  it('a payload large enough for a four-byte remaining length', () => {
    const payload = Buffer.alloc(2_200_000, 0x61);
    const buf = publish(payload, 1, false, 4);
    expect(buf[4]! & 0x80).toBe(0);
    expect(buf[3]! & 0x80).toBe(0x80);
    expect((decode(buf, 4).payload as Buffer).length).toBe(2_200_000);
  });

  it('says what is wrong with what it cannot encode', () => {
    expect(() => preparePublish('', 0, false, 4)).toThrow(/empty/);
    expect(() => preparePublish('x'.repeat(70_000), 0, false, 4)).toThrow(/65535/);
    expect(() => encodePublishProperties({ messageExpiryS: -1 })).toThrow(/expiry/);
  });

  it.each([
    [PUBACK, 'puback'],
    [PUBREC, 'pubrec'],
    [PUBREL, 'pubrel'],
    [PUBCOMP, 'pubcomp'],
  ] as const)('ack %s: the two-byte form both versions read', (b0, cmd) => {
    for (const v of [4, 5] as const) expect(decode(encodeAck(b0, 77), v)).toMatchObject({ cmd, messageId: 77 });
    expect(decode(encodeAck(b0, 77, b0 === PUBREL || b0 === PUBCOMP ? 0x92 : 0x80), 5)).toMatchObject({
      cmd,
      messageId: 77,
      reasonCode: b0 === PUBREL || b0 === PUBCOMP ? 0x92 : 0x80,
    });
  });

  it('SUBSCRIBE with several filters, each with its QoS', () => {
    const buf = encodeSubscribeMany(
      [
        { topic: 'device/dev-1/#', qos: 0 },
        { topic: 'devices/dev-1/commands', qos: 2 },
      ],
      5,
    );
    expect(decode(buf, 5)).toMatchObject({
      messageId: 1,
      subscriptions: [
        { topic: 'device/dev-1/#', qos: 0 },
        { topic: 'devices/dev-1/commands', qos: 2 },
      ],
    });
  });
});

describe('PUBLISH reading', () => {
  it.each([4, 5] as const)('MQTT %s: topic, packet id, flags and payload offsets', (v) => {
    const buf = gen(
      { cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 2, retain: true, dup: true, messageId: 9 },
      v,
    );
    const [flags, start, end] = body(buf);
    expect(readPublish(flags, buf, start, end, v === 5)).toBeNull();
    const m = inbound;
    expect(m).toMatchObject({ qos: 2, retain: true, dup: true, packetId: 9, responseTopicStart: -1 });
    expect(buf.toString('utf8', m.topicStart, m.topicEnd)).toBe('a/b');
    expect(buf.toString('utf8', m.payloadStart, m.payloadEnd)).toBe('hello');
  });

  it('MQTT 5: Response Topic, Correlation Data and the `herd` user property are found among the others', () => {
    const buf = gen(
      {
        cmd: 'publish',
        topic: 'devices/dev-1/commands',
        payload: Buffer.from('cmd'),
        qos: 1,
        messageId: 3,
        properties: {
          payloadFormatIndicator: false,
          messageExpiryInterval: 10,
          contentType: 'x',
          responseTopic: 'devices/dev-1/responses',
          correlationData: Buffer.from([0xca, 0xfe]),
          userProperties: { other: 'y', herd: '686401' },
        },
      },
      5,
    );
    const [flags, start, end] = body(buf);
    expect(readPublish(flags, buf, start, end, true)).toBeNull();
    const m = inbound;
    expect(buf.toString('utf8', m.responseTopicStart, m.responseTopicEnd)).toBe('devices/dev-1/responses');
    expect(buf.subarray(m.correlationStart, m.correlationEnd)).toEqual(Buffer.from([0xca, 0xfe]));
    expect(buf.toString('latin1', m.herdStart, m.herdEnd)).toBe('686401');
    expect(buf.toString('utf8', m.payloadStart, m.payloadEnd)).toBe('cmd');
  });

  const raw = (b0: number, rest: number[]): Buffer => Buffer.from([b0, rest.length, ...rest]);
  it.each([
    ['DUP at QoS 0', raw(0x38, [0, 1, 0x61]), false, 'PUBLISH with DUP set at QoS 0'],
    ['an empty topic', raw(0x30, [0, 0]), false, 'PUBLISH with an empty topic'],
    ['a topic past the end', raw(0x30, [0, 9, 0x61]), false, 'PUBLISH topic of 9 bytes runs past the packet'],
    ['a wildcard topic', raw(0x30, [0, 1, 0x23]), false, 'PUBLISH to a topic with a wildcard'],
    ['packet id 0', raw(0x32, [0, 1, 0x61, 0, 0]), false, 'PUBLISH with packet id 0'],
    ['a topic alias', raw(0x30, [0, 1, 0x61, 3, 0x23, 0, 1]), true, 'PUBLISH: Topic Alias (the device allows none)'],
    ['a property twice', raw(0x30, [0, 1, 0x61, 4, 1, 0, 1, 0]), true, 'PUBLISH: property 0x01 twice'],
    [
      'an unknown property',
      raw(0x30, [0, 1, 0x61, 2, 0x11, 0]),
      true,
      'PUBLISH: property 0x11 is not one it may carry',
    ],
    [
      'a truncated string',
      raw(0x30, [0, 1, 0x61, 3, 0x03, 0, 5]),
      true,
      'PUBLISH: property 0x03 runs past the properties',
    ],
    [
      'properties past the end',
      raw(0x30, [0, 1, 0x61, 9]),
      true,
      'PUBLISH: property length past the end of the packet',
    ],
  ])('%s is malformed', (_what, buf, v5, problem) => {
    const [flags, start, end] = body(buf);
    expect(readPublish(flags, buf, start, end, v5)).toBe(problem);
  });
});

describe('ack reading', () => {
  it.each([4, 5] as const)('MQTT %s: PUBACK, PUBREC, PUBREL, PUBCOMP', (v) => {
    for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp']) {
      const buf = gen({ cmd, messageId: 513 }, v);
      const [flags, start, end] = body(buf);
      expect(readAck(buf[0]! >> 4, flags, buf, start, end, v === 5)).toBeNull();
      expect(ack).toEqual({ id: 513, reason: 0 });
    }
  });

  it('MQTT 5: a reason code and a reason string', () => {
    const buf = gen({ cmd: 'puback', messageId: 5, reasonCode: 0x97, properties: { reasonString: 'quota' } }, 5);
    const [flags, start, end] = body(buf);
    expect(readAck(4, flags, buf, start, end, true)).toBeNull();
    expect(ack).toEqual({ id: 5, reason: 0x97 });
  });

  it.each([
    [4, 0x42, [0, 1], false, 'PUBACK fixed header flags 0x02 (must be 0x00)'],
    [6, 0x60, [0, 1], false, 'PUBREL fixed header flags 0x00 (must be 0x02)'],
    [4, 0x40, [0, 1, 0], false, 'PUBACK remaining length 3 (3.1.1: exactly 2)'],
    [7, 0x70, [0], true, 'PUBCOMP remaining length 1 (at least 2)'],
    [5, 0x50, [0, 0], false, 'PUBREC with packet id 0'],
    [4, 0x40, [0, 1, 0x92], true, 'PUBACK reason code 0x92 (not a PUBACK code)'],
    [7, 0x70, [0, 1, 0x80], true, 'PUBCOMP reason code 0x80 (not a PUBCOMP code)'],
    [4, 0x40, [0, 1, 0, 2, 0x1f, 0], true, 'PUBACK: property 0x1f runs past the properties'],
    [4, 0x40, [0, 1, 0, 3, 0x02, 0, 0], true, 'PUBACK: property 0x02 is not one it may carry'],
  ])('type %s %s is malformed', (type, b0, rest, v5, problem) => {
    const buf = Buffer.from([b0, rest.length, ...rest]);
    const [flags, start, end] = body(buf);
    expect(readAck(type, flags, buf, start, end, v5)).toBe(problem);
  });
});

describe('sessions and several filters', () => {
  it('session present is a protocol error after a clean start, and accepted when the CONNECT asked for none', () => {
    const buf = Buffer.from([0x01, 0x00]);
    expect(connackProblem(0, buf, 0, 2, false)).toBe('CONNACK flags 0x01 with clean start');
    expect(connackProblem(0, buf, 0, 2, false, false)).toBeNull();
    expect(connackProblem(0, Buffer.from([0x01, 0x05]), 0, 2, false, false)).toBe(
      'CONNACK flags 0x01 with return code 0x05',
    );
  });

  it('SUBACK carries one code per filter of the SUBSCRIBE', () => {
    const two = Buffer.from([0, 1, 0, 1]);
    expect(subackProblem(0, two, 0, 4, false, 2)).toBeNull();
    expect(subackProblem(0, two, 0, 4, false, 1)).toBe('SUBACK with 2 reason codes for 1 subscription');
    expect(subackProblem(0, Buffer.from([0, 1, 0, 7]), 0, 4, false, 2)).toBe('SUBACK code 0x07 (not a SUBACK code)');
  });

  it('CONNECT with clean false and, MQTT 5, the Session Expiry Interval', () => {
    const p = encodeDevicePackets('dev-1', { version: 5, keepaliveS: 30, clean: false, sessionExpiryS: 3600 });
    expect(decode(p.connect, 5)).toMatchObject({ clean: false, properties: { sessionExpiryInterval: 3600 } });
    expect(p.clean).toBe(false);
    const q = encodeDevicePackets('dev-1', {
      version: 4,
      keepaliveS: 30,
      subscribe: 'a/{id}',
      extraSubscriptions: [{ topic: 'devices/dev-1/commands', qos: 1 }],
    });
    expect(q.subscriptions).toBe(2);
    expect(decode(q.subscribe!, 4)).toMatchObject({
      subscriptions: [
        { topic: 'a/dev-1', qos: 0 },
        { topic: 'devices/dev-1/commands', qos: 1 },
      ],
    });
  });
});
