/**
 * Protocol strictness, the table: which CONNACK, SUBACK, DISCONNECT and other packets a
 * device accepts from a server, what it says about the rest, and how it shows what arrived.
 */
import { describe, expect, it } from 'vitest';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { FEED_MALFORMED, FEED_OK, feed, property, type ReaderState } from '../../src/mqtt/packets.js';
import {
  connackProblem,
  disconnectProblem,
  firstPacketProblem,
  malformedProblem,
  otherPacketProblem,
  showBytes,
  subackProblem,
} from '../../src/mqtt/strict.js';

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');
/** A packet's check over its bytes (fixed header included). */
const check =
  (fn: (flags: number, buf: Buffer, start: number, end: number, v5: boolean) => string | null) =>
  (bytes: string, v5: boolean) => {
    const b = hex(bytes);
    return fn(b[0]! & 0x0f, b, 2, b.length, v5);
  };
const connack = check(connackProblem);
const suback = check(subackProblem);
const disconnect = check(disconnectProblem);
const gen = (p: object, v: 4 | 5) => mqttPacket.generate(p as Packet, { protocolVersion: v });

describe('the first packet after CONNECT, from its first two bytes', () => {
  it.each([
    [0x20, 0x02, false, null],
    [0x20, undefined, false, null],
    [0x20, 0x03, true, null],
    [0x20, 0x02, true, null],
    [0x20, 0x80, true, null], // a long property block: a two-byte remaining length
    [0x20, 0x03, false, 'CONNACK remaining length 3 (3.1.1: exactly 2)'],
    [0x20, 0x00, true, 'CONNACK remaining length 0 (at least 2)'],
    [0x21, 0x02, false, 'CONNACK fixed header 0x21 (must be 0x20)'],
    [0x30, 0x0c, false, 'PUBLISH instead of CONNACK'],
    [0x3b, 0x0c, false, 'PUBLISH instead of CONNACK'],
    [0xd0, 0x00, false, 'PINGRESP instead of CONNACK'],
    [0x90, 0x03, true, 'SUBACK instead of CONNACK'],
    [0xe0, 0x02, true, 'DISCONNECT instead of CONNACK'],
    [0x62, 0x02, false, 'PUBREL instead of CONNACK'],
    [0xf0, 0x00, true, 'AUTH instead of CONNACK'],
    [0x48, 0x54, false, 'not MQTT'], // "HT": PUBACK with flags 8
    [0x3e, 0x00, false, 'not MQTT'], // PUBLISH with QoS 3
    [0x00, 0x00, false, 'not MQTT'],
    [0x17, 0x03, false, 'not MQTT'], // a TLS record header
  ] as const)('%s %s (MQTT 5: %s): %s', (b0, b1, v5, want) => {
    expect(firstPacketProblem(b0, b1, v5)).toBe(want);
  });
});

describe('CONNACK', () => {
  it.each([
    // accepted
    ['20 02 00 00', false, null],
    ['20 02 00 05', false, null], // a refusal, well-formed
    ['20 03 00 00 00', true, null],
    ['20 02 00 00', true, null], // 3.1.1 CONNACK to an MQTT 5 client
    ['20 02 00 01', true, null], // … with a 3.1.1 code
    ['20 03 00 87 00', true, null],
    ['20 03 00 9f 00', true, null],
    // wrong length
    ['20 03 00 00 00', false, 'CONNACK remaining length 3 (3.1.1: exactly 2)'],
    ['20 01 00', false, 'CONNACK remaining length 1 (at least 2)'],
    ['20 01 00', true, 'CONNACK remaining length 1 (at least 2)'],
    // fixed-header flags, reserved bits, session present with clean start
    ['21 02 00 00', false, 'CONNACK fixed header flags 0x01 (must be 0)'],
    ['20 02 02 00', false, 'CONNACK acknowledge flags 0x02: reserved bits set'],
    ['20 02 80 00', false, 'CONNACK acknowledge flags 0x80: reserved bits set'],
    ['20 02 01 00', false, 'CONNACK flags 0x01 with clean start'],
    ['20 03 01 00 00', true, 'CONNACK flags 0x01 with clean start'],
    // unknown codes
    ['20 02 00 06', false, 'CONNACK return code 0x06 (3.1.1 knows 0–5)'],
    ['20 02 00 87', true, 'CONNACK return code 0x87 (3.1.1 knows 0–5)'],
    ['20 03 00 05 00', true, 'CONNACK reason code 0x05 (not an MQTT 5 CONNACK code)'],
    ['20 03 00 8b 00', true, 'CONNACK reason code 0x8b (not an MQTT 5 CONNACK code)'],
    ['20 03 00 8e 00', true, 'CONNACK reason code 0x8e (not an MQTT 5 CONNACK code)'],
    // properties
    ['20 05 00 00 02 7e 00', true, 'CONNACK: property 0x7e is not one it may carry'],
    ['20 05 00 00 02 17 01', true, 'CONNACK: property 0x17 is not one it may carry'], // Request Problem Information: CONNECT's
    ['20 07 00 00 04 24 00 24 01', true, 'CONNACK: property 0x24 twice'],
    ['20 05 00 00 02 24 02', true, 'CONNACK: property 0x24 out of range'],
    ['20 06 00 00 03 21 00 00', true, 'CONNACK: property 0x21 out of range'],
    ['20 05 00 00 02 13 00', true, 'CONNACK: property 0x13 runs past the properties'],
    ['20 04 00 00 05 13', true, 'CONNACK: property length past the end of the packet'],
    ['20 04 00 00 00 ff', true, 'CONNACK: 1 bytes after the properties'],
    ['20 07 00 00 04 1f 00 05 41', true, 'CONNACK: property 0x1f runs past the properties'],
  ] as const)('%s (MQTT 5: %s): %s', (bytes, v5, want) => {
    expect(connack(bytes, v5)).toBe(want);
  });

  it('keeps what the spec allows: every CONNACK property, user properties repeated, the Server Keep Alive', () => {
    const p = gen(
      {
        cmd: 'connack',
        reasonCode: 0,
        sessionPresent: false,
        properties: {
          sessionExpiryInterval: 10,
          receiveMaximum: 20,
          maximumQoS: 1,
          retainAvailable: true,
          maximumPacketSize: 1000,
          assignedClientIdentifier: 'x',
          topicAliasMaximum: 10,
          reasonString: 'ok',
          userProperties: { a: ['b', 'c'], d: 'e' },
          wildcardSubscriptionAvailable: false,
          subscriptionIdentifiersAvailable: true,
          sharedSubscriptionAvailable: true,
          serverKeepAlive: 15,
          responseInformation: 'r',
          serverReference: 's',
          authenticationMethod: 'm',
          authenticationData: Buffer.from([1, 2]),
        },
      },
      5,
    );
    const start = (p[1]! & 0x80) === 0 ? 2 : 3;
    expect(connackProblem(0, p, start, p.length, true)).toBeNull();
    expect(property.serverKeepAlive).toBe(15);
    const plain = gen({ cmd: 'connack', reasonCode: 0, sessionPresent: false }, 5);
    expect(connackProblem(0, plain, 2, plain.length, true)).toBeNull();
    expect(property.serverKeepAlive).toBe(-1);
  });
});

describe('SUBACK to SUBSCRIBE packet id 1, one topic', () => {
  it.each([
    ['90 03 00 01 00', false, null],
    ['90 03 00 01 01', false, null],
    ['90 03 00 01 80', false, null], // a refusal, well-formed
    ['90 04 00 01 00 00', true, null],
    ['90 04 00 01 00 87', true, null],
    ['90 04 00 01 00 a2', true, null],
    ['91 03 00 01 00', false, 'SUBACK fixed header flags 0x01 (must be 0)'],
    ['90 02 00 01', false, 'SUBACK remaining length 2 (at least 3)'],
    ['90 03 00 02 00', false, 'SUBACK for packet id 2 (the SUBSCRIBE was 1)'],
    ['90 04 00 01 00 00', false, 'SUBACK with 2 reason codes for 1 subscription'],
    ['90 03 00 01 00', true, 'SUBACK with 0 reason codes for 1 subscription'],
    ['90 03 00 01 03', false, 'SUBACK code 0x03 (not a SUBACK code)'],
    ['90 03 00 01 87', false, 'SUBACK code 0x87 (not a SUBACK code)'],
    ['90 04 00 01 00 8b', true, 'SUBACK code 0x8b (not a SUBACK code)'],
    ['90 06 00 01 02 13 00 00', true, 'SUBACK: property 0x13 is not one it may carry'],
    ['90 04 00 01 05 00', true, 'SUBACK: property length past the end of the packet'],
  ] as const)('%s (MQTT 5: %s): %s', (bytes, v5, want) => {
    expect(suback(bytes, v5)).toBe(want);
  });

  it('a SUBACK with a reason string (mqtt-packet encoded)', () => {
    const p = gen({ cmd: 'suback', messageId: 1, granted: [1], properties: { reasonString: 'fine' } }, 5);
    expect(subackProblem(0, p, 2, p.length, true)).toBeNull();
  });
});

describe('DISCONNECT from the server', () => {
  it.each([
    ['e0 00', true, null],
    ['e0 01 00', true, null],
    ['e0 02 8b 00', true, null],
    ['e0 01 8e', true, null],
    ['e0 01 a2', true, null],
    ['e0 08 9c 06 1c 00 03 61 62 63', true, null], // Server Reference
    ['e0 00', false, 'DISCONNECT from the server (MQTT 3.1.1 has none)'],
    ['e1 00', true, 'DISCONNECT fixed header flags 0x01 (must be 0)'],
    ['e0 01 04', true, 'DISCONNECT reason code 0x04 (not one a server sends)'],
    ['e0 01 fe', true, 'DISCONNECT reason code 0xfe (not one a server sends)'],
    ['e0 01 84', true, 'DISCONNECT reason code 0x84 (not one a server sends)'],
    ['e0 07 8b 05 11 00 00 00 00', true, 'DISCONNECT: property 0x11 is not one it may carry'],
    ['e0 03 8b 00 ff', true, 'DISCONNECT: 1 bytes after the properties'],
  ] as const)('%s (MQTT 5: %s): %s', (bytes, v5, want) => {
    expect(disconnect(bytes, v5)).toBe(want);
  });
});

describe('every other packet', () => {
  it.each([
    [13, 0, 0, null],
    [13, 0, 1, 'PINGRESP remaining length 1 (must be 0)'],
    [13, 1, 0, 'PINGRESP fixed header flags 0x01 (must be 0x00)'],
    [4, 0, 2, null],
    [4, 0, 4, null],
    [6, 2, 2, null],
    [6, 0, 2, 'PUBREL fixed header flags 0x00 (must be 0x02)'],
    [11, 0, 1, 'UNSUBACK remaining length 1 (at least 2)'],
    [1, 0, 10, "CONNECT from the server (a client's packet)"],
    [8, 2, 5, "SUBSCRIBE from the server (a client's packet)"],
    [10, 2, 5, "UNSUBSCRIBE from the server (a client's packet)"],
    [12, 0, 0, "PINGREQ from the server (a client's packet)"],
    [15, 0, 0, 'AUTH (the device asked for no enhanced authentication)'],
  ] as const)('type %s, flags %s, length %s: %s', (type, flags, len, want) => {
    expect(otherPacketProblem(type, flags, len)).toBe(want);
  });

  it('what made the reader give up', () => {
    expect(malformedProblem(hex('00 00'))).toBe('reserved packet type 0');
    expect(malformedProblem(hex('36 02 00 00'))).toBe('PUBLISH with QoS 3');
    expect(malformedProblem(hex('d0 ff ff ff ff 01'))).toBe('PINGRESP remaining length longer than 4 bytes');
    expect(malformedProblem(hex('90 80 80 08'))).toBe('SUBACK longer than the 64 KiB the device reads');
  });
});

describe('the reader on a malformed packet', () => {
  const none = () => true;
  it('keeps the bytes from the malformed packet on, for the report', () => {
    const s: ReaderState = { partial: null };
    expect(feed(s, hex('20 02 00 00 36 02 00 00'), none)).toBe(FEED_MALFORMED);
    expect(s.partial?.toString('hex')).toBe('36020000');
    expect(malformedProblem(s.partial!)).toBe('PUBLISH with QoS 3');
  });

  it('a PUBLISH with QoS 0–2 is skipped as before', () => {
    const s: ReaderState = { partial: null };
    expect(feed(s, hex('30 02 00 00 32 04 00 00 00 01 34 04 00 00 00 02'), none)).toBe(FEED_OK);
    expect(s.partial).toBeNull();
  });
});

describe('what arrived, for people', () => {
  it('the first 16 bytes as hex and printable ASCII', () => {
    const http = Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n');
    expect(showBytes(http)).toBe('48 54 54 50 2f 31 2e 31 20 34 30 30 20 42 61 64 … "HTTP/1.1 400 Bad"');
    expect(showBytes(hex('d0 00'))).toBe('d0 00 ".."');
    expect(showBytes(hex('20 02 01 00'), 0, 4, false)).toBe('20 02 01 00');
    expect(showBytes(hex('ff 20 02 01 00'), 1, 3)).toBe('20 02 " ."');
    expect(showBytes(Buffer.alloc(17, 0x41), 0, 17, false)).toBe(`${Array(16).fill('41').join(' ')} …`);
  });
});
