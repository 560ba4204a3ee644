/**
 * A subscriber: every herd message it receives is a delivery of the stream its header
 * (in the payload, or in the `herd` user property of an MQTT 5 template) names, timed from
 * the message's intended send time and checked for duplicates and order against what this
 * subscriber (or its shared-subscription group) saw before.
 */
import type { MqttClient } from 'mqtt';
import { epochNow } from '../../util/clock.js';
import { findHexHeader, readHeader, userPropertyHeader } from '../../traffic/header.js';
import type { MessageRecorder, SeqTracker } from '../../metrics/messages.js';

export interface DeliverySink {
  rec: MessageRecorder;
  /** new deliveries per stream, for the drain at the end */
  unique: number[];
  lastAt: number;
}

export function attachSubscriber(
  client: MqttClient,
  tracker: SeqTracker,
  /** streams whose messages count as deliveries here (not the commands: their controllers time them) */
  counted: readonly boolean[],
  sink: DeliverySink,
): void {
  client.on('message', (_topic, payload, packet) => {
    const now = epochNow();
    // in the payload (sized, or a template's {herd}), else MQTT 5's `herd` user property
    const h =
      readHeader(payload) ?? findHexHeader(payload) ?? userPropertyHeader(packet.properties?.userProperties?.herd);
    if (h === null || counted[h.stream] !== true) return;
    const seen = tracker.see(h.stream, h.device, h.seq);
    sink.rec.delivered(h.stream, payload.length, Math.max(0, (now - h.intended) * 1000), seen);
    if (seen !== 'duplicate') sink.unique[h.stream] = (sink.unique[h.stream] ?? 0) + 1;
    sink.lastAt = now;
  });
}
