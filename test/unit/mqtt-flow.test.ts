/**
 * A connection's PUBLISH flow over a stream that acknowledges writes only when told: the
 * in-flight window holds QoS 1/2 messages back until acks come, packet ids skip the ones in
 * use, socket backpressure queues, QoS 2 goes PUBREC → PUBREL → PUBCOMP, what the server
 * delivers is acknowledged as its QoS says (a QoS 2 duplicate not passed on), and acks the
 * flow never asked for are named.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Writable } from 'node:stream';
import { Flow, QUEUE_BYTES_CAP, QUEUE_CAP, type FlowSink } from '../../src/mqtt/flow.js';
import { allocPublish, preparePublish } from '../../src/mqtt/publish.js';
import type { Sock } from '../../src/mqtt/socket-events.js';
import type { InboundPublish } from '../../src/mqtt/inbound.js';
import { performance } from 'node:perf_hooks';
import { epochNow } from '../../src/util/clock.js';

/** A writable whose writes complete only on release(); what was handed to write(), in order. */
function held(highWaterMark = 1 << 20) {
  const written: Buffer[] = [];
  const pending: (() => void)[] = [];
  const w = new Writable({
    highWaterMark,
    write(_chunk: Buffer, _enc, cb) {
      pending.push(cb);
    },
  });
  const sock = {
    write: (b: Buffer) => (written.push(b), w.write(b)),
    once: (event: string, fn: (this: unknown) => void) => w.once(event, () => fn.call(sock)),
  };
  return {
    sock: sock as unknown as Sock,
    written,
    release: () => pending.splice(0).forEach((cb) => cb()),
  };
}

function sink() {
  const s = { published: 0, late: 0, heldBack: 0, acked: [] as number[] };
  const f: FlowSink = {
    published: (_stream, _bytes, late, heldBack) => {
      s.published++;
      if (late) s.late++;
      if (heldBack) s.heldBack++;
    },
    acked: (_stream, qos) => s.acked.push(qos),
  };
  return { s, f };
}

const p1 = preparePublish('t', 1, false, 4);
const p2 = preparePublish('t', 2, false, 5);
const msg = (p = p1) => allocPublish(p, 8);
/** The packet id of a PUBLISH (topic 't') or an ack. */
const idOf = (b: Buffer) => (b[0]! >> 4 === 3 ? b.readUInt16BE(5) : b.readUInt16BE(2));

describe('flow', () => {
  it('QoS 1: the window holds messages back until PUBACKs come; ids skip the ones in flight', () => {
    const w = held();
    const { s, f } = sink();
    const flow = new Flow(w.sock, f, 3, false);
    for (let k = 0; k < 5; k++) expect(flow.send(msg(), 1, 0, epochNow(), 8)).toBe(true);
    expect(w.written.map(idOf)).toEqual([1, 2, 3]);
    expect(flow.queued).toBe(2);
    expect(flow.onAck(4, 2, 0)).toBeNull();
    expect(w.written.map(idOf)).toEqual([1, 2, 3, 4]);
    expect(flow.onAck(4, 1, 0)).toBeNull();
    expect(flow.onAck(4, 4, 0)).toBeNull();
    expect(w.written.map(idOf)).toEqual([1, 2, 3, 4, 5]);
    expect(s.published).toBe(5);
    expect(s.acked).toEqual([1, 1, 1]);
    expect(flow.outstanding).toBe(2);
  });

  it('packet ids wrap after 65535 and skip one still in flight', () => {
    const w = held();
    const flow = new Flow(w.sock, sink().f, 64, false);
    flow.send(msg(), 1, 0, epochNow(), 8); // id 1 stays in flight
    const b = msg();
    for (let k = 2; k <= 65_535; k++) {
      flow.send(b, 1, 0, epochNow(), 8);
      expect(flow.onAck(4, k, 0)).toBeNull();
    }
    flow.send(msg(), 1, 0, epochNow(), 8);
    expect(idOf(w.written.at(-1)!)).toBe(2);
  });

  it('QoS 2: PUBREC is answered with PUBREL, PUBCOMP completes it; a PUBREC with an error ends it unacked', () => {
    const w = held();
    const { s, f } = sink();
    const flow = new Flow(w.sock, f, 64, true);
    flow.send(msg(p2), 2, 0, epochNow(), 8);
    flow.send(msg(p2), 2, 0, epochNow(), 8);
    expect(flow.onAck(7, 1, 0)).toBe('PUBCOMP for packet id 1 before its PUBREC');
    expect(flow.onAck(5, 1, 0)).toBeNull();
    expect(w.written.at(-1)!.toString('hex')).toBe('62020001');
    expect(flow.onAck(5, 1, 0)).toBe('PUBREC for packet id 1, released already');
    expect(flow.onAck(7, 1, 0)).toBeNull();
    expect(flow.onAck(5, 2, 0x97)).toBeNull();
    expect(s.acked).toEqual([2]);
    expect(flow.outstanding).toBe(0);
  });

  it('acks for what is not in flight, or of the wrong kind, are named', () => {
    const flow = new Flow(held().sock, sink().f, 64, false);
    expect(flow.onAck(4, 9, 0)).toBe('PUBACK for packet id 9, not in flight');
    flow.send(msg(p2), 2, 0, epochNow(), 8);
    expect(flow.onAck(4, 1, 0)).toBe('PUBACK for packet id 1, a QoS 2 PUBLISH');
  });

  it('backpressure: once write() returns false, messages wait for drain, in order', async () => {
    const w = held(16);
    const { s, f } = sink();
    const flow = new Flow(w.sock, f, 64, false);
    const p0 = preparePublish('t', 0, false, 4);
    for (let k = 0; k < 4; k++) flow.send(allocPublish(p0, 20), 0, 0, epochNow(), 20);
    expect(w.written).toHaveLength(1);
    expect(flow.queued).toBe(3);
    w.release();
    await new Promise((r) => setImmediate(r));
    expect(w.written.length).toBeGreaterThan(1);
    while (flow.queued > 0) {
      w.release();
      await new Promise((r) => setImmediate(r));
    }
    expect(s.published).toBe(4);
  });

  it('the queue is bounded: past QUEUE_CAP messages or QUEUE_BYTES_CAP bytes send() refuses', () => {
    const flow = new Flow(held().sock, sink().f, 1, false);
    for (let k = 0; k <= QUEUE_CAP; k++) expect(flow.send(msg(), 1, 0, epochNow(), 8)).toBe(true);
    expect(flow.send(msg(), 1, 0, epochNow(), 8)).toBe(false);
    const big = new Flow(held().sock, sink().f, 1, false);
    const p = preparePublish('t', 1, false, 4);
    expect(big.send(allocPublish(p, 1000), 1, 0, epochNow(), 1000)).toBe(true); // in flight
    const n = Math.floor(QUEUE_BYTES_CAP / 300_000);
    for (let k = 0; k < n; k++) expect(big.send(allocPublish(p, 300_000), 1, 0, epochNow(), 300_000)).toBe(true);
    expect(big.send(allocPublish(p, 300_000), 1, 0, epochNow(), 300_000)).toBe(false);
    expect(big.queued).toBe(n);
  });

  it('a message written more than LATE_MS after its intended time counts late', () => {
    const { s, f } = sink();
    const flow = new Flow(held().sock, f, 64, false);
    flow.send(msg(), 1, 0, epochNow() - 150, 8);
    flow.send(msg(), 1, 0, epochNow() - 50, 8);
    expect(s).toMatchObject({ published: 2, late: 1, heldBack: 0 });
  });

  describe('late, and whose doing it was', () => {
    /** performance.now() (what epochNow reads) held still, moved on by `advance` */
    function stillClock() {
      let now = performance.now();
      vi.spyOn(performance, 'now').mockImplementation(() => now);
      return { advance: (ms: number) => (now += ms) };
    }
    afterEach(() => vi.restoreAllMocks());

    it('on time when due, then waiting for the broker’s window past LATE_MS: late and held back by the broker', () => {
      const clock = stillClock();
      const { s, f } = sink();
      const flow = new Flow(held().sock, f, 1, false);
      flow.send(msg(), 1, 0, epochNow(), 8);
      flow.send(msg(), 1, 0, epochNow() - 50, 8); // on time, queued: the window is full
      expect(s).toMatchObject({ published: 1, late: 0, heldBack: 0 });
      clock.advance(100); // the broker's PUBACK takes its time
      expect(flow.onAck(4, 1, 0)).toBeNull();
      expect(s).toMatchObject({ published: 2, late: 1, heldBack: 1 });
    });

    it('late already when handed over, then queued: the generator’s lateness, not the broker’s', () => {
      const clock = stillClock();
      const { s, f } = sink();
      const flow = new Flow(held().sock, f, 1, false);
      flow.send(msg(), 1, 0, epochNow(), 8);
      flow.send(msg(), 1, 0, epochNow() - 150, 8);
      clock.advance(100);
      expect(flow.onAck(4, 1, 0)).toBeNull();
      expect(s).toMatchObject({ published: 2, late: 1, heldBack: 0 });
    });
  });

  it('deliveries: QoS 1 gets PUBACK, QoS 2 PUBREC (a duplicate is acked, not passed on), PUBREL gets PUBCOMP', () => {
    const w = held();
    const flow = new Flow(w.sock, sink().f, 64, true);
    const m = (qos: 0 | 1 | 2, packetId: number) => ({ qos, packetId }) as InboundPublish;
    expect(flow.onPublish(m(0, 0))).toBe(true);
    expect(flow.onPublish(m(1, 7))).toBe(true);
    expect(flow.onPublish(m(2, 8))).toBe(true);
    expect(flow.onPublish(m(2, 8))).toBe(false);
    expect(flow.onAck(6, 8, 0)).toBeNull();
    expect(flow.onAck(6, 99, 0)).toBeNull();
    expect(w.written.map((b) => b.toString('hex'))).toEqual([
      '40020007',
      '50020008',
      '50020008',
      '70020008',
      '7003006392',
    ]);
  });

  it('settle() answers once nothing is in flight, or at its time limit', async () => {
    const flow = new Flow(held().sock, sink().f, 64, false);
    flow.send(msg(), 1, 0, epochNow(), 8);
    let settled = false;
    flow.settle(60_000, () => (settled = true));
    expect(settled).toBe(false);
    flow.onAck(4, 1, 0);
    expect(settled).toBe(true);
    flow.send(msg(), 1, 0, epochNow(), 8);
    await new Promise<void>((resolve) => flow.settle(1, resolve));
    expect(flow.outstanding).toBe(1);
  });
});
