/**
 * When a telemetry stream's messages are meant to go, as pure functions of (seed, device
 * index, sequence number): which devices publish (share), the interval before each message
 * (every or a fleet rate, jittered uniformly or as Poisson arrivals) and each message's
 * payload size. The same run gives the same schedule on every machine and every rerun.
 *
 * A device's message 0 is meant for CONNACK + start_delay; message k+1 for message k's
 * intended time + interval(k+1). Intended times never wait for the previous send: a
 * generator that falls behind sends late, and the lateness shows.
 */
import type { TelemetryConfig } from './telemetry.js';

/** frac(i × this) spreads any share of devices evenly over the index range. */
const GOLDEN = 0.6180339887;

/** Whether device `index` publishes on a stream that `share` of the devices publish on. */
export function publishes(index: number, share: number): boolean {
  if (share >= 1) return true;
  const x = index * GOLDEN;
  return x - Math.floor(x) < share;
}

/**
 * Where in one interval device `index`'s first message falls (0–1) when a fleet starts
 * together: its golden-ratio position among the publishing devices, so any number of them
 * spreads evenly over the interval and the fleet's rate is smooth from the start.
 */
export function fleetPhase(index: number, share: number): number {
  const x = index * GOLDEN;
  const f = x - Math.floor(x);
  return share >= 1 ? f : Math.min(0.999_999, f / share);
}

/** How many of the devices [start, start + count) publish with `share`. */
export function publishingDevices(start: number, count: number, share: number): number {
  if (share >= 1) return count;
  let n = 0;
  for (let i = start; i < start + count; i++) if (publishes(i, share)) n++;
  return n;
}

/** A run's seed (any string) as a 32-bit number (FNV-1a). */
export function seedOf(seed: string | undefined): number {
  let h = 0x811c9dc5;
  for (const ch of seed ?? 'herd') h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

function mix(a: number): number {
  a = Math.imul(a ^ (a >>> 16), 0x7feb352d);
  a = Math.imul(a ^ (a >>> 15), 0x846ca68b);
  return (a ^ (a >>> 16)) >>> 0;
}

/** Salts, so interval, size and random bytes of one message are independent draws. */
export const DRAW = { interval: 1, size: 2, random: 3 } as const;

/** A uniform draw in [0, 1) for (seed, device, seq) and what it is for. */
export function draw(seed: number, device: number, seq: number, salt: number): number {
  return mix(mix(mix(seed ^ Math.imul(salt, 0x9e3779b9)) ^ device) ^ seq) / 0x1_0000_0000;
}

/**
 * Per device, ms between messages on average: `every`, or for a fleet `rate` the publishing
 * devices' share of it (every = publishing devices / rate).
 */
export function meanIntervalMs(c: TelemetryConfig, publishing: number): number {
  if (c.everyMs !== undefined) return c.everyMs;
  return (Math.max(1, publishing) / c.rate!) * 1000;
}

/** The interval before message `seq` (≥ 1) of `device`, ms: jittered as the stream says. */
export function intervalMs(c: TelemetryConfig, meanMs: number, seed: number, device: number, seq: number): number {
  const j = c.jitter;
  if (j.kind === 'none') return meanMs;
  const u = draw(seed, device, seq, DRAW.interval);
  if (j.kind === 'uniform') return meanMs * (1 + j.share * (2 * u - 1));
  return -meanMs * Math.log(1 - u);
}

/** Payload bytes of message `seq` of `device` (a size range draws uniformly, both ends included). */
export function payloadSize(c: TelemetryConfig, seed: number, device: number, seq: number): number {
  if (c.payload.kind !== 'size') throw new Error('a template payload has no drawn size');
  const { min, max } = c.payload;
  if (min === max) return min;
  return min + Math.floor(draw(seed, device, seq, DRAW.size) * (max - min + 1));
}

/**
 * The intended send times (epoch ms) of a device's messages from `first` on, as many as
 * `count` allows before `until`: what the worker's schedule will produce (for tests and
 * planning; the worker walks the same recurrence one message at a time).
 */
export function intendedTimes(
  c: TelemetryConfig,
  meanMs: number,
  seed: number,
  device: number,
  first: number,
  until: number,
  fromSeq = 0,
): number[] {
  const out: number[] = [];
  let t = first;
  for (let seq = fromSeq; (c.count === undefined || seq < c.count) && t < until; seq++) {
    if (seq > fromSeq) t += intervalMs(c, meanMs, seed, device, seq);
    if (t >= until) break;
    out.push(t);
  }
  return out;
}
