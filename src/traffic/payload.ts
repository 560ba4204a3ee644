/**
 * A telemetry message as one PUBLISH buffer: prepared once per device and stream (topic,
 * properties, the template's per-device text), then per message the header and payload
 * written in place. A sized payload starts with the binary header (header.ts) followed by
 * filler; a template is text with `{ts}` (intended send time, epoch ms), `{seq}`, `{herd}`
 * (the header as hex) and `{random:N}` (N characters, from the seed) — with MQTT 5 a
 * template without `{herd}` carries the hex header in a user property named `herd`.
 */
import { allocPublish, preparePublish, type PreparedPublish } from '../mqtt/index.js';
import { HEADER_BYTES, hexHeader, writeHeader, type MessageHeader } from './header.js';
import { DRAW, draw, payloadSize } from './schedule.js';
import { fillTopic, type TopicVars } from './topics.js';
import type { TelemetryConfig } from './telemetry.js';

type Part = string | { v: 'ts' | 'seq' | 'herd' } | { v: 'random'; n: number };

export interface TelemetryPublisher {
  readonly c: TelemetryConfig;
  readonly stream: number;
  readonly device: number;
  readonly prepared: PreparedPublish;
  /** template payloads: its parts, per-device placeholders filled */
  readonly parts: readonly Part[] | null;
  /** MQTT 5 template without {herd}: the last property is `herd` = 48 hex characters to fill */
  readonly herdProperty: boolean;
}

const HEX_CHARS = HEADER_BYTES * 2;
const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function templateParts(text: string, vars: TopicVars): Part[] {
  const parts: Part[] = [];
  const re = /\{(ts|seq|herd|random)(?::(\d+))?\}/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) parts.push(fillTopic(text.slice(last, m.index), vars));
    const v = m[1] as 'ts' | 'seq' | 'herd' | 'random';
    parts.push(v === 'random' ? { v, n: m[2] === undefined ? 16 : Number(m[2]) } : { v });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(fillTopic(text.slice(last), vars));
  return parts;
}

/** What device `vars.i` needs to publish on telemetry stream `stream`, built once. */
export function prepareTelemetry(
  c: TelemetryConfig,
  stream: number,
  vars: TopicVars,
  version: 4 | 5,
): TelemetryPublisher {
  const parts = c.payload.kind === 'template' ? templateParts(c.payload.text, vars) : null;
  const herdProperty = version === 5 && parts !== null && !parts.some((p) => typeof p !== 'string' && p.v === 'herd');
  const user = Object.entries(c.properties.user ?? {});
  if (herdProperty) user.push(['herd', '0'.repeat(HEX_CHARS)]);
  const prepared = preparePublish(fillTopic(c.topic, vars), c.qos, c.retain, version, {
    messageExpiryS: c.properties.messageExpiryS,
    contentType: c.properties.contentType,
    user,
  });
  return { c, stream, device: vars.i, prepared, parts, herdProperty };
}

function randomText(n: number, seed: number, device: number, seq: number): string {
  let s = '';
  let x = Math.floor(draw(seed, device, seq, DRAW.random) * 0x1_0000_0000) | 1;
  for (let k = 0; k < n; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    s += RANDOM_ALPHABET[(x >>> 0) % RANDOM_ALPHABET.length];
  }
  return s;
}

/** Payload bytes of the last buildTelemetry() (module state: building is synchronous). */
export const built = { bytes: 0 };

/** Message `seq` of the publisher, intended at `intended` (epoch ms): the whole PUBLISH (packet id 0). */
export function buildTelemetry(p: TelemetryPublisher, seq: number, intended: number, seed: number): Buffer {
  const h: MessageHeader = { stream: p.stream, device: p.device, seq, intended, correlation: 0 };
  if (p.parts === null) {
    const n = payloadSize(p.c, seed, p.device, seq);
    const buf = allocPublish(p.prepared, n);
    const at = buf.length - n;
    writeHeader(buf, h, at);
    buf.fill(0x2e, at + HEADER_BYTES);
    built.bytes = n;
    return buf;
  }
  let text = '';
  let hex: string | undefined;
  for (const part of p.parts) {
    if (typeof part === 'string') text += part;
    else if (part.v === 'seq') text += String(seq);
    else if (part.v === 'ts') text += String(Math.round(intended));
    else if (part.v === 'herd') text += hex ??= hexHeader(h);
    else if (part.v === 'random') text += randomText(part.n, seed, p.device, seq);
  }
  const n = Buffer.byteLength(text, 'utf8');
  const buf = allocPublish(p.prepared, n);
  buf.write(text, buf.length - n, 'utf8');
  // the `herd` user property is the last property: its value ends where the payload starts
  if (p.herdProperty) buf.write(hex ?? hexHeader(h), buf.length - n - HEX_CHARS, 'latin1');
  built.bytes = n;
  return buf;
}
