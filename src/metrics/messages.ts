/**
 * Measurement of traffic. A thread that publishes or receives keeps a MessageRecorder per
 * run (counters per stream, HDR histograms of publish → ack per QoS, of delivery per stream
 * and of command round trips, all from the message's intended send time) and drains it into
 * the same periodic delta as the connect recorder; the coordinator adds the deltas exactly
 * (MessageTotals). Receivers tell new messages from duplicates and late arrivals with a
 * SeqTracker: a bitmap of the sequence numbers seen per (stream, publisher).
 */
import type { MessagePhase, Qos, StreamMessages } from '../model/messages.js';
import type { PhaseLatency } from '../model/summary.js';
import {
  addInto,
  addSparse,
  createHistogram,
  encodeHistogram,
  latencyStats,
  recordMicros,
  toSparse,
  type Hdr,
  type SparseHistogram,
} from './hdr.js';

/** Counters of one stream in one interval. */
export interface StreamCounts {
  published: number;
  acked: number;
  /** deliveries received, new ones and duplicates */
  delivered: number;
  /** deliveries of messages not received before by that receiver */
  unique: number;
  duplicated: number;
  outOfOrder: number;
  late: number;
  /** of `late`: held back by the broker (queued for its window or socket while on time) */
  heldBack: number;
  bytesOut: number;
  bytesIn: number;
}

/** A MessageRecorder's interval, plain data (structured-clone friendly). */
export interface MessageDelta {
  /** per stream index (sparse: only streams with something in the interval) */
  streams: [number, StreamCounts][];
  /** publish → PUBACK (QoS 1) / PUBCOMP (QoS 2), µs from the intended send time */
  publishAck: [Qos, SparseHistogram][];
  /** intended send → received, µs, per stream */
  delivery: [number, SparseHistogram][];
  /** command sent (intended) → response received, µs */
  commandRtt: SparseHistogram | null;
}

const zero = (): StreamCounts => ({
  published: 0,
  acked: 0,
  delivered: 0,
  unique: 0,
  duplicated: 0,
  outOfOrder: 0,
  late: 0,
  heldBack: 0,
  bytesOut: 0,
  bytesIn: 0,
});

export class MessageRecorder {
  private readonly counts = new Map<number, StreamCounts>();
  private readonly acks = new Map<Qos, Hdr>();
  private readonly deliveries = new Map<number, Hdr>();
  private readonly rtt: Hdr = createHistogram('interval');

  private of(stream: number): StreamCounts {
    let c = this.counts.get(stream);
    if (c === undefined) {
      c = zero();
      this.counts.set(stream, c);
    }
    return c;
  }

  /** A PUBLISH of `bytes` payload bytes was written; `late`: after its schedule allowed; `heldBack`: by the broker. */
  published(stream: number, bytes: number, late: boolean, heldBack = false): void {
    const c = this.of(stream);
    c.published++;
    c.bytesOut += bytes;
    if (late) c.late++;
    if (heldBack) c.heldBack++;
  }

  /** Its PUBACK / PUBCOMP came, `micros` after the intended send time. */
  acked(stream: number, qos: Qos, micros: number): void {
    this.of(stream).acked++;
    let h = this.acks.get(qos);
    if (h === undefined) {
      h = createHistogram('interval');
      this.acks.set(qos, h);
    }
    recordMicros(h, micros);
  }

  /** A message was received, `micros` after its intended send time; how the tracker saw it. */
  delivered(stream: number, bytes: number, micros: number, seen: Seen): void {
    const c = this.of(stream);
    c.delivered++;
    c.bytesIn += bytes;
    if (seen === 'duplicate') {
      c.duplicated++;
      return;
    }
    c.unique++;
    if (seen === 'out-of-order') c.outOfOrder++;
    let h = this.deliveries.get(stream);
    if (h === undefined) {
      h = createHistogram('interval');
      this.deliveries.set(stream, h);
    }
    recordMicros(h, micros);
  }

  /** A command's response came back, `micros` after the command's intended send time. */
  commandRtt(micros: number): void {
    recordMicros(this.rtt, micros);
  }

  drain(): MessageDelta {
    const streams: [number, StreamCounts][] = [...this.counts].filter(
      ([, c]) => c.published + c.delivered + c.acked > 0,
    );
    this.counts.clear();
    const sparse = <K>(m: Map<K, Hdr>): [K, SparseHistogram][] =>
      [...m].flatMap(([k, h]) => {
        const s = toSparse(h);
        h.reset();
        return s === null ? [] : [[k, s] as [K, SparseHistogram]];
      });
    const rtt = toSparse(this.rtt);
    this.rtt.reset();
    return { streams, publishAck: sparse(this.acks), delivery: sparse(this.deliveries), commandRtt: rtt };
  }
}

/** The ArrayBuffers of a delta, for postMessage's transfer list. */
export function messageTransferList(d: MessageDelta): ArrayBuffer[] {
  const all = [
    ...d.publishAck.map(([, s]) => s),
    ...d.delivery.map(([, s]) => s),
    ...(d.commandRtt ? [d.commandRtt] : []),
  ];
  return all.map((s) => s.pairs.buffer as ArrayBuffer);
}

/**
 * How long a message may take to arrive before a live count calls it lost: the top of the
 * exported latency buckets. The summary's count, made when the run has ended, is exact.
 */
export const LIVE_LOSS_GRACE_MS = 30_000;

/** What the coordinator adds up from every thread's deltas. */
export class MessageTotals {
  readonly streams = new Map<number, StreamCounts>();
  readonly publishAck = new Map<Qos, Hdr>();
  readonly delivery = new Map<number, Hdr>();
  readonly commandRtt: Hdr = createHistogram('cumulative');
  /** cumulative published per stream after each delta, oldest first, for the live loss count */
  readonly #history: { at: number; published: Map<number, number> }[] = [];
  readonly #liveLost = new Map<number, number>();
  #ended = false;

  /** Adds one thread's interval, which ended at `at` (epoch ms). */
  ingest(d: MessageDelta, at = Date.now()): void {
    for (const [i, c] of d.streams) {
      const t = this.streams.get(i) ?? zero();
      for (const k of Object.keys(c) as (keyof StreamCounts)[]) t[k] += c[k];
      this.streams.set(i, t);
    }
    if (d.streams.some(([, c]) => c.published > 0)) this.#remember(at);
    const add = <K>(m: Map<K, Hdr>, k: K, s: SparseHistogram): void => {
      let h = m.get(k);
      if (h === undefined) {
        h = createHistogram('cumulative');
        m.set(k, h);
      }
      addSparse(h, s);
    };
    for (const [q, s] of d.publishAck) add(this.publishAck, q, s);
    for (const [i, s] of d.delivery) add(this.delivery, i, s);
    if (d.commandRtt !== null) addSparse(this.commandRtt, d.commandRtt);
  }

  get any(): boolean {
    return this.streams.size > 0;
  }

  /** Every thread has drained its last interval: from now on loss counts are exact. */
  end(): void {
    this.#ended = true;
  }

  #remember(at: number): void {
    const h = this.#history;
    h.push({ at, published: new Map([...this.streams].map(([i, c]) => [i, c.published])) });
    // keep the newest snapshot older than the grace window, and everything after it
    while (h.length > 2 && h[1]!.at <= at - LIVE_LOSS_GRACE_MS) h.shift();
  }

  /**
   * Expected deliveries of stream `index` not received: exact once the run has ended; while
   * it runs, only for messages published more than LIVE_LOSS_GRACE_MS before `now` (a
   * message in flight is not lost yet), never decreasing, so it is a counter.
   */
  lost(index: number, receivers: number, now = Date.now()): number {
    if (receivers === 0) return 0;
    const unique = this.streams.get(index)?.unique ?? 0;
    if (this.#ended) return Math.max(0, (this.streams.get(index)?.published ?? 0) * receivers - unique);
    let old = 0;
    for (const s of this.#history) if (s.at <= now - LIVE_LOSS_GRACE_MS) old = s.published.get(index) ?? 0;
    const lost = Math.max(this.#liveLost.get(index) ?? 0, old * receivers - unique);
    this.#liveLost.set(index, lost);
    return lost;
  }
}

export type Seen = 'new' | 'out-of-order' | 'duplicate';

/**
 * The sequence numbers a receiver has seen, per (stream, publisher): a bitmap that grows as
 * needed, so a message is new, new but after a later one (out of order), or a duplicate —
 * exactly, whatever the order.
 */
export class SeqTracker {
  private readonly seen = new Map<number, { max: number; bits: Uint8Array }>();

  see(stream: number, publisher: number, seq: number): Seen {
    const key = stream * 0x1_0000_0000 + publisher;
    let s = this.seen.get(key);
    if (s === undefined) {
      s = { max: -1, bits: new Uint8Array(Math.max(8, (seq >> 3) + 1)) };
      this.seen.set(key, s);
    }
    const byte = seq >> 3;
    if (byte >= s.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, s.bits.length * 2));
      grown.set(s.bits);
      s.bits = grown;
    }
    const bit = 1 << (seq & 7);
    if ((s.bits[byte]! & bit) !== 0) return 'duplicate';
    s.bits[byte] = s.bits[byte]! | bit;
    if (seq < s.max) return 'out-of-order';
    s.max = seq;
    return 'new';
  }
}

/** What summary.json needs to know of each stream: its name, QoS, and receivers per message. */
export interface StreamPlan {
  name: string;
  qos: Qos;
  /** deliveries each message should make (subscribers reached; 1 for a command's response; 0: none measured) */
  receivers: number;
}

const stats = (h: Hdr): PhaseLatency => ({ ...latencyStats(h), hdr: encodeHistogram(h) });

function union(list: Iterable<Hdr>): Hdr {
  const h = createHistogram('cumulative');
  for (const x of list) addInto(h, x);
  return h;
}

/**
 * summary.messages and the message latency phases. `lost` is every expected delivery (a
 * message × the receivers it should reach) not received: QoS 0 loss, a broker's dropped
 * queue, a receiver too slow — never hidden.
 */
export function summarizeMessages(
  t: MessageTotals,
  plans: readonly StreamPlan[],
): { messages: Record<string, StreamMessages>; latency: Partial<Record<MessagePhase, PhaseLatency>> } {
  const messages: Record<string, StreamMessages> = {};
  plans.forEach((p, i) => {
    const c = t.streams.get(i) ?? zero();
    if (p.receivers === 0 && c.published === 0 && c.delivered === 0) return;
    messages[p.name] = {
      published: c.published,
      acked: c.acked,
      delivered: c.delivered,
      lost: p.receivers === 0 ? 0 : Math.max(0, c.published * p.receivers - c.unique),
      duplicated: c.duplicated,
      out_of_order: c.outOfOrder,
      late: c.late,
      held_back: c.heldBack,
      bytes: c.bytesOut,
      qos: p.qos,
      ...(p.qos > 0 ? { unacked: Math.max(0, c.published - c.acked) } : {}),
    };
  });
  const latency: Partial<Record<MessagePhase, PhaseLatency>> = {};
  if (t.publishAck.size > 0) latency.publish_ack = stats(union(t.publishAck.values()));
  if (t.delivery.size > 0) latency.delivery = stats(union(t.delivery.values()));
  if (t.commandRtt.totalCount > 0) latency.command_rtt = stats(t.commandRtt);
  return { messages, latency };
}
