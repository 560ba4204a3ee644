import { describe, expect, it } from 'vitest';
import {
  MessageRecorder,
  MessageTotals,
  SeqTracker,
  messageTransferList,
  summarizeMessages,
} from '../../src/metrics/messages.js';
import { decodeHistogram } from '../../src/metrics/hdr.js';

describe('SeqTracker', () => {
  it('tells new, out-of-order and duplicate apart per stream and publisher', () => {
    const t = new SeqTracker();
    expect(t.see(0, 1, 0)).toBe('new');
    expect(t.see(0, 1, 2)).toBe('new');
    expect(t.see(0, 1, 1)).toBe('out-of-order');
    expect(t.see(0, 1, 1)).toBe('duplicate');
    expect(t.see(0, 1, 2)).toBe('duplicate');
    expect(t.see(0, 2, 1)).toBe('new'); // another publisher
    expect(t.see(1, 1, 1)).toBe('new'); // another stream
  });

  it('grows for sequence numbers far past the first', () => {
    const t = new SeqTracker();
    expect(t.see(0, 0, 5)).toBe('new');
    expect(t.see(0, 0, 1_000_000)).toBe('new');
    expect(t.see(0, 0, 1_000_000)).toBe('duplicate');
    expect(t.see(0, 0, 999_999)).toBe('out-of-order');
    expect(t.see(0, 0, 5)).toBe('duplicate');
  });
});

describe('message recorders and totals', () => {
  it('adds deltas from several threads exactly', () => {
    const a = new MessageRecorder();
    const b = new MessageRecorder();
    for (let i = 0; i < 10; i++) a.published(0, 100, i === 0);
    for (let i = 0; i < 10; i++) a.acked(0, 1, 1000 + i);
    for (let i = 0; i < 5; i++) b.published(0, 100, i < 2, i < 2); // late, held back by the broker
    for (let i = 0; i < 12; i++) b.delivered(0, 100, 2000, 'new');
    b.delivered(0, 100, 2000, 'duplicate');
    b.delivered(0, 100, 2000, 'out-of-order');
    b.commandRtt(5000);
    const totals = new MessageTotals();
    const da = a.drain();
    const db = b.drain();
    expect(messageTransferList(da)).toHaveLength(1);
    expect(messageTransferList(db)).toHaveLength(2);
    totals.ingest(da);
    totals.ingest(db);
    expect(totals.streams.get(0)).toEqual({
      published: 15,
      acked: 10,
      delivered: 14,
      unique: 13,
      duplicated: 1,
      outOfOrder: 1,
      late: 3,
      heldBack: 2,
      bytesOut: 1500,
      bytesIn: 1400,
    });
    expect(totals.publishAck.get(1)?.totalCount).toBe(10);
    expect(totals.delivery.get(0)?.totalCount).toBe(13); // duplicates are not timed again
    expect(totals.commandRtt.totalCount).toBe(1);
  });

  it('starts a new interval after drain', () => {
    const r = new MessageRecorder();
    r.published(0, 10, false);
    r.drain();
    expect(r.drain()).toEqual({ streams: [], publishAck: [], delivery: [], commandRtt: null });
  });
});

describe('summarizeMessages', () => {
  it('counts every expected delivery not received as lost, and unacked QoS 1 messages', () => {
    const r = new MessageRecorder();
    for (let i = 0; i < 100; i++) r.published(0, 256, false);
    for (let i = 0; i < 98; i++) r.acked(0, 1, 3000);
    for (let i = 0; i < 190; i++) r.delivered(0, 256, 4000, 'new'); // 2 receivers: 200 expected
    for (let i = 0; i < 3; i++) r.delivered(0, 256, 4000, 'duplicate');
    const t = new MessageTotals();
    t.ingest(r.drain());
    const { messages, latency } = summarizeMessages(t, [
      { name: 'telemetry', qos: 1, receivers: 2 },
      { name: 'quiet', qos: 0, receivers: 0 },
    ]);
    expect(messages).toEqual({
      telemetry: {
        published: 100,
        acked: 98,
        delivered: 193,
        lost: 10,
        duplicated: 3,
        out_of_order: 0,
        late: 0,
        held_back: 0,
        bytes: 25_600,
        qos: 1,
        unacked: 2,
      },
    });
    expect(latency.publish_ack?.count).toBe(98);
    expect(latency.delivery?.count).toBe(190);
    expect(decodeHistogram(latency.delivery!.hdr).totalCount).toBe(190);
    expect(latency.command_rtt).toBeUndefined();
  });

  it('counts no loss for a stream nobody receives, and no unacked at QoS 0', () => {
    const r = new MessageRecorder();
    for (let i = 0; i < 7; i++) r.published(0, 30, false);
    const t = new MessageTotals();
    t.ingest(r.drain());
    const { messages } = summarizeMessages(t, [{ name: 'telemetry', qos: 0, receivers: 0 }]);
    expect(messages.telemetry).toMatchObject({ published: 7, lost: 0 });
    expect(messages.telemetry).not.toHaveProperty('unacked');
  });
});
