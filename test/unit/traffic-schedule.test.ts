/**
 * The telemetry schedule as pure functions (share, intervals, jitter, sizes: the same for
 * the same seed, different for another), the message a device builds (decoded by
 * mqtt-packet, its header where its receivers look), and the thread's Ticker under fake
 * timers (every item in time order, late ones too).
 */
import { describe, expect, it } from 'vitest';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { telemetry, type TelemetryConfig } from '../../src/traffic/telemetry.js';
import {
  intendedTimes,
  intervalMs,
  meanIntervalMs,
  payloadSize,
  publishes,
  publishingDevices,
  seedOf,
} from '../../src/traffic/schedule.js';
import { buildTelemetry, prepareTelemetry } from '../../src/traffic/payload.js';
import { findHexHeader, readHeader } from '../../src/traffic/header.js';
import { Ticker } from '../../src/engine/ticker.js';
import { epochNow } from '../../src/util/clock.js';
import { useFakeClock } from '../helpers/fake-clock.js';

function cfg(raw: Record<string, unknown>): TelemetryConfig {
  const p = telemetry.fromScenario(raw, 'telemetry');
  if (!p.ok) throw new Error('config');
  return p.config;
}

function decode(buf: Buffer, protocolVersion: 4 | 5): Record<string, unknown> {
  const parser = mqttPacket.parser({ protocolVersion });
  const out: Packet[] = [];
  parser.on('packet', (p: Packet) => out.push(p));
  parser.parse(buf);
  expect(out).toHaveLength(1);
  return out[0] as unknown as Record<string, unknown>;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const seed = seedOf('42');

describe('schedule', () => {
  it('a share of the devices publishes, spread over the indexes', () => {
    expect(publishingDevices(0, 10_000, 1)).toBe(10_000);
    const n = publishingDevices(0, 10_000, 0.25);
    expect(n).toBeGreaterThan(2_450);
    expect(n).toBeLessThan(2_550);
    // every block of 100 devices has about its share
    for (let b = 0; b < 10_000; b += 1000) expect(publishingDevices(b, 100, 0.25)).toBeGreaterThan(15);
    expect(publishes(0, 0.1)).toBe(true);
  });

  it('a fleet rate becomes a per-device interval over the publishing devices', () => {
    expect(meanIntervalMs(cfg({ rate: '500/s' }), 1000)).toBe(2000);
    expect(meanIntervalMs(cfg({ every: '10s' }), 1000)).toBe(10_000);
  });

  it('uniform jitter stays within ±share and averages the interval; poisson averages it too', () => {
    const u = cfg({ every: '1s', jitter: '20%' });
    const us = Array.from({ length: 5000 }, (_, k) => intervalMs(u, 1000, seed, 7, k + 1));
    expect(Math.min(...us)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...us)).toBeLessThanOrEqual(1200);
    expect(Math.abs(mean(us) - 1000)).toBeLessThan(15);
    const p = cfg({ every: '1s', jitter: 'poisson' });
    const ps = Array.from({ length: 20_000 }, (_, k) => intervalMs(p, 1000, seed, 7, k + 1));
    expect(Math.abs(mean(ps) - 1000)).toBeLessThan(40);
    expect(Math.min(...ps)).toBeGreaterThan(0);
    expect(ps.filter((x) => x > 3000).length / ps.length).toBeGreaterThan(0.03); // e^-3 ≈ 5%
  });

  it('deterministic: the same seed, device and seq give the same draw; another seed another', () => {
    const c = cfg({ every: '1s', jitter: 'poisson', payload: '64-512' });
    expect(intervalMs(c, 1000, seed, 3, 9)).toBe(intervalMs(c, 1000, seedOf('42'), 3, 9));
    expect(intervalMs(c, 1000, seed, 3, 9)).not.toBe(intervalMs(c, 1000, seedOf('43'), 3, 9));
    expect(intervalMs(c, 1000, seed, 3, 9)).not.toBe(intervalMs(c, 1000, seed, 4, 9));
    const sizes = Array.from({ length: 2000 }, (_, k) => payloadSize(c, seed, 3, k));
    expect(Math.min(...sizes)).toBe(64);
    expect(Math.max(...sizes)).toBe(512);
  });

  it('message 0 at CONNACK + start delay, then one per interval, `count` of them, none at or after the end', () => {
    const c = cfg({ every: '100ms', count: 5 });
    expect(intendedTimes(c, 100, seed, 0, 1000, 1e9)).toEqual([1000, 1100, 1200, 1300, 1400]);
    expect(intendedTimes(c, 100, seed, 0, 1000, 1250)).toEqual([1000, 1100, 1200]);
    expect(intendedTimes(cfg({ every: '100ms' }), 100, seed, 0, 0, 1000)).toHaveLength(10);
  });
});

describe('messages', () => {
  const vars = { id: 'dev-7', i: 7, shard: 0, stream: 'telemetry' };

  it('a sized payload: the binary header first, then filler, on the device topic with its properties', () => {
    const c = cfg({ every: '1s', qos: 1, retain: true, payload: 100, properties: { content_type: 'x/y' } });
    const p = prepareTelemetry(c, 2, vars, 5);
    const buf = buildTelemetry(p, 9, 1234.5, seed);
    const m = decode(buf, 5);
    expect(m).toMatchObject({ topic: 'devices/dev-7/telemetry', qos: 1, retain: true });
    expect((m.properties as Record<string, unknown>).contentType).toBe('x/y');
    const payload = m.payload as Buffer;
    expect(payload).toHaveLength(100);
    expect(readHeader(payload)).toEqual({ stream: 2, device: 7, seq: 9, intended: 1234.5, correlation: 0 });
  });

  it('a template: {ts} {seq} {id} {herd} {random:N} filled, the header readable in the text', () => {
    const c = cfg({
      every: '1s',
      payload: { template: '{"id":"{id}","seq":{seq},"ts":{ts},"r":"{random:8}","h":"{herd}"}' },
    });
    const p = prepareTelemetry(c, 1, vars, 4);
    const text = (decode(buildTelemetry(p, 3, 5000.4, seed), 4).payload as Buffer).toString();
    const j = JSON.parse(text) as Record<string, unknown>;
    expect(j).toMatchObject({ id: 'dev-7', seq: 3, ts: 5000 });
    expect(j.r).toMatch(/^[a-z0-9]{8}$/);
    expect(findHexHeader(Buffer.from(text))).toMatchObject({ stream: 1, device: 7, seq: 3, intended: 5000.4 });
  });

  it('MQTT 5, a template without {herd}: the header travels in the user property `herd`', () => {
    const c = cfg({ every: '1s', payload: { template: 'seq={seq}' }, properties: { user: { site: 'a' } } });
    const p = prepareTelemetry(c, 0, vars, 5);
    const m = decode(buildTelemetry(p, 11, 77, seed), 5);
    expect((m.payload as Buffer).toString()).toBe('seq=11');
    const user = (m.properties as { userProperties: Record<string, string> }).userProperties;
    expect(user.site).toBe('a');
    expect(readHeader(Buffer.from(user.herd!, 'hex'))).toMatchObject({ stream: 0, device: 7, seq: 11, intended: 77 });
  });
});

describe('ticker', () => {
  it('runs every item at its time, in time order, the overdue ones at once', () => {
    const clock = useFakeClock();
    try {
      const ran: string[] = [];
      const now = epochNow();
      const t = new Ticker<string>((item) => {
        ran.push(item);
        if (item === 'b') t.schedule(now + 25, 'b2');
      });
      t.schedule(now + 30, 'c');
      t.schedule(now + 10, 'a');
      t.schedule(now + 20, 'b');
      t.schedule(now - 5, 'late');
      clock.advance(1);
      expect(ran).toEqual(['late']);
      clock.advance(15);
      expect(ran).toEqual(['late', 'a']);
      clock.advance(20);
      expect(ran).toEqual(['late', 'a', 'b', 'b2', 'c']);
      expect(t.size).toBe(0);
    } finally {
      clock.restore();
    }
  });
});
