import { describe, expect, it } from 'vitest';
import {
  CONTROLLER_BASE,
  HEADER_BYTES,
  findHexHeader,
  hexHeader,
  readHeader,
  writeHeader,
  type MessageHeader,
} from '../../src/traffic/header.js';

const h: MessageHeader = {
  stream: 3,
  device: 1_000_123,
  seq: 4_000_000_000,
  intended: 1_764_700_000_123.25,
  correlation: 77,
};

describe('the message header', () => {
  it('reads back what was written, at any offset, with filler after it', () => {
    const buf = Buffer.alloc(10 + HEADER_BYTES + 100, 0xaa);
    writeHeader(buf, h, 10);
    expect(readHeader(buf, 10)).toEqual(h);
    expect(buf.subarray(0, 10).every((b) => b === 0xaa)).toBe(true);
    expect(buf.subarray(10 + HEADER_BYTES).every((b) => b === 0xaa)).toBe(true);
  });

  it('is 24 bytes with the magic and version first', () => {
    const buf = Buffer.alloc(HEADER_BYTES);
    writeHeader(buf, h);
    expect([...buf.subarray(0, 3)]).toEqual([0x68, 0x64, 1]);
    expect(HEADER_BYTES).toBe(24);
  });

  it('is not found in payloads that are not herd messages', () => {
    expect(readHeader(Buffer.from('{"temperature":21.5,"humidity":40,"x":1}'))).toBeNull();
    const short = Buffer.alloc(HEADER_BYTES);
    writeHeader(short, h);
    expect(readHeader(short.subarray(0, HEADER_BYTES - 1))).toBeNull();
    const other = Buffer.from(short);
    other[2] = 2; // another version
    expect(readHeader(other)).toBeNull();
  });

  it('carries a controller index above every device index', () => {
    const buf = Buffer.alloc(HEADER_BYTES);
    writeHeader(buf, { ...h, device: CONTROLLER_BASE + 3 });
    expect(readHeader(buf)?.device).toBe(CONTROLLER_BASE + 3);
  });

  it('travels as hex inside a text payload', () => {
    const text = Buffer.from(`{"id":"dev-1","herd":"${hexHeader(h)}","v":1}`);
    expect(hexHeader(h)).toHaveLength(48);
    expect(findHexHeader(text)).toEqual(h);
    expect(findHexHeader(Buffer.from('{"herd":"686401zz"}'))).toBeNull();
    expect(findHexHeader(Buffer.from(`{"herd":"${hexHeader(h).slice(0, 40)}"}`))).toBeNull();
  });
});
