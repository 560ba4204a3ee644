/**
 * What a device does with a PUBLISH it receives (the driver has acknowledged it already):
 * it reads the herd header (binary at the payload's start, the MQTT 5 user property `herd`,
 * or hex in a text payload); a command (a `commands` stream's) is answered on its response
 * topic — MQTT 5: the command's Response Topic with its Correlation Data, else the
 * stream's response topic template — with the command's header repeated but for the
 * device index; anything else of a herd stream counts as a delivery (per receiving device:
 * new, duplicate or out of order).
 */
import { SeqTracker, type MessageRecorder } from '../metrics/messages.js';
import {
  allocPublish,
  encodePublishProperties,
  preparePublish,
  topicBytes,
  type FlowOwner,
  type InboundPublish,
} from '../mqtt/index.js';
import type { CommandsConfig } from '../traffic/commands.js';
import { HEADER_BYTES, findHexHeader, readHeader, type MessageHeader } from '../traffic/header.js';
import type { StreamConfig } from '../traffic/stream.js';
import { fillTopic } from '../traffic/topics.js';
import { epochNow } from '../util/clock.js';

/** What device-inbound keeps of a device. */
export interface DeviceState {
  readonly index: number;
  readonly id: string;
  /** built at its first delivery */
  tracker: SeqTracker | undefined;
  /** per commands stream: the response topic from its template, as MQTT string bytes */
  readonly responseTopics: Map<number, Buffer>;
}

const EMPTY_PROPS = Buffer.from([0]);

/** The herd header of a received PUBLISH, or null when it carries none. */
export function headerOf(m: InboundPublish): MessageHeader | null {
  const h = readHeader(m.buf, m.payloadStart, m.payloadEnd);
  if (h !== null) return h;
  if (m.herdEnd - m.herdStart === HEADER_BYTES * 2) {
    const hex = m.buf.toString('latin1', m.herdStart, m.herdEnd);
    if (/^[0-9a-f]+$/.test(hex)) return readHeader(Buffer.from(hex, 'hex'));
  }
  return findHexHeader(m.buf.subarray(m.payloadStart, m.payloadEnd));
}

export class DeviceInbound {
  constructor(
    private readonly traffic: readonly StreamConfig[],
    private readonly version: 4 | 5,
    private readonly shard: number,
    private readonly rec: MessageRecorder,
    private readonly deviceOf: (index: number) => DeviceState | undefined,
  ) {}

  message(conn: FlowOwner, m: InboundPublish): void {
    const h = headerOf(m);
    if (h === null) return;
    const c = this.traffic[h.stream];
    if (c === undefined) return;
    const d = this.deviceOf(conn.index);
    if (c.kind === 'commands') {
      this.answer(conn, m, h, c as CommandsConfig, d);
      return;
    }
    if (d === undefined) return;
    d.tracker ??= new SeqTracker();
    const micros = Math.max(0, (epochNow() - h.intended) * 1000);
    this.rec.delivered(h.stream, m.payloadEnd - m.payloadStart, micros, d.tracker.see(h.stream, h.device, h.seq));
  }

  private responseTopic(m: InboundPublish, stream: number, c: CommandsConfig, d: DeviceState | undefined): Buffer {
    if (this.version === 5 && m.responseTopicStart >= 0) {
      const n = m.responseTopicEnd - m.responseTopicStart;
      const t = Buffer.allocUnsafe(2 + n);
      t.writeUInt16BE(n, 0);
      m.buf.copy(t, 2, m.responseTopicStart, m.responseTopicEnd);
      return t;
    }
    const index = d?.index ?? 0;
    const id = d?.id ?? '';
    let t = d?.responseTopics.get(stream);
    if (t === undefined) {
      t = topicBytes(fillTopic(c.responseTopic, { id, i: index, shard: this.shard, stream: c.name }));
      d?.responseTopics.set(stream, t);
    }
    return t;
  }

  /** The response: the command's payload with this device's index in its header. */
  private answer(conn: FlowOwner, m: InboundPublish, h: MessageHeader, c: CommandsConfig, d: DeviceState | undefined) {
    const topic = this.responseTopic(m, h.stream, c, d);
    const props =
      this.version === 5
        ? m.correlationStart >= 0
          ? encodePublishProperties({ correlationData: m.buf.subarray(m.correlationStart, m.correlationEnd) })
          : EMPTY_PROPS
        : undefined;
    const p = preparePublish(topic, c.qos, false, this.version, props);
    const n = m.payloadEnd - m.payloadStart;
    const buf = allocPublish(p, n);
    const at = buf.length - n;
    m.buf.copy(buf, at, m.payloadStart, m.payloadEnd);
    if (n >= HEADER_BYTES && readHeader(buf, at, buf.length) !== null) buf.writeUInt32BE(conn.index >>> 0, at + 4);
    // a response is the controllers' to count (stream -1): the device only sends it
    conn.publish(buf, c.qos, -1, epochNow(), n);
  }
}
