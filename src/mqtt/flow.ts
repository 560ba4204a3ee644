/**
 * A connection's PUBLISH flow: the QoS 1/2 handshakes with packet ids (1…65535, skipping
 * those in use), the in-flight window (min(Receive Maximum, 64)), socket backpressure
 * (socket.write returned false: wait for 'drain'), a bounded queue for what cannot go
 * yet, and the acknowledgements of what the server delivers. Every PUBLISH carries its
 * intended send time: one written more than LATE_MS after it counts late, and its
 * publish → ack latency counts from it. A late message that was on time when it was handed
 * over and waited in the queue (the window full: the server's acknowledgements slow; or its
 * socket not reading) was held back by the broker, not by the generator, and says so.
 */
import { LATE_MS } from '../model/messages.js';
import { epochNow } from '../util/clock.js';
import { PUBACK, PUBCOMP, PUBREC, PUBREL, encodeAck, packetIdOffset, setPacketId, type PublishQos } from './publish.js';
import type { InboundPublish } from './inbound.js';
import type { Wire } from './socket-events.js';

/** In-flight QoS 1/2 messages per connection at most, whatever the server's Receive Maximum. */
export const WINDOW_CAP = 64;
/** Messages waiting (window full or socket backpressure) per connection at most, and their bytes. */
export const QUEUE_CAP = 1024;
export const QUEUE_BYTES_CAP = 1_048_576;

/** Where the counts go (a MessageRecorder is one). Stream -1 is not counted. */
export interface FlowSink {
  /** `late`: written more than LATE_MS after its intended time; `heldBack`: late because it waited for the broker */
  published(stream: number, bytes: number, late: boolean, heldBack: boolean): void;
  acked(stream: number, qos: PublishQos, micros: number): void;
}

/** Counts of a connection without traffic hooks (it still acknowledges what it receives). */
export const NO_SINK: FlowSink = { published() {}, acked() {} };

/** What a run does with traffic: counts, and the PUBLISHes its devices receive. */
export interface TrafficHooks {
  readonly sink: FlowSink;
  /** a PUBLISH came (already acknowledged as its QoS requires; a QoS 2 duplicate is not passed on) */
  message(conn: FlowOwner, m: InboundPublish): void;
}

/** What the flow's owner (the connection) offers to whoever publishes and receives. */
export interface FlowOwner {
  /** queue or write a PUBLISH built by allocPublish(); false: the queue is full, nothing was done */
  publish(buf: Buffer, qos: PublishQos, stream: number, intended: number, payloadBytes: number): boolean;
  /** calls `cb` once nothing is queued or in flight, or after `maxMs` */
  settle(maxMs: number, cb: () => void): void;
  readonly version: 4 | 5;
  /** the device's index in the run and its id, for the hooks */
  readonly index: number;
  readonly id: string;
}

interface Pending {
  buf: Buffer;
  qos: PublishQos;
  stream: number;
  intended: number;
  bytes: number;
  /** late already when it was handed over: the generator's lateness, not the broker's */
  lateOnArrival: boolean;
}

interface InFlight {
  stream: number;
  qos: PublishQos;
  intended: number;
  /** QoS 2: PUBREC came, PUBREL sent, PUBCOMP awaited */
  released: boolean;
}

const kFlow = Symbol('herd.flow');
type FlowSock = Wire & { [kFlow]?: Flow };

function onDrain(this: FlowSock): void {
  this[kFlow]?.drained();
}

export class Flow {
  private readonly inFlight = new Map<number, InFlight>();
  private readonly queue: Pending[] = [];
  private head = 0;
  private queuedBytes = 0;
  private nextId = 1;
  private blocked = false;
  /** QoS 2 deliveries received and acknowledged with PUBREC, awaiting PUBREL */
  private readonly receiving = new Set<number>();
  private settleCb: (() => void) | undefined = undefined;
  private settleTimer: NodeJS.Timeout | undefined = undefined;
  private stopped = false;

  constructor(
    private readonly sock: Wire,
    private readonly sink: FlowSink,
    /** min(Receive Maximum, WINDOW_CAP) */
    readonly window: number,
    private readonly v5: boolean,
  ) {
    (sock as FlowSock)[kFlow] = this;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  get outstanding(): number {
    return this.inFlight.size;
  }

  send(buf: Buffer, qos: PublishQos, stream: number, intended: number, bytes: number): boolean {
    if (this.stopped) return false;
    if (this.queued > 0 || this.blocked || (qos > 0 && this.inFlight.size >= this.window)) {
      if (this.queued >= QUEUE_CAP || (this.queued > 0 && this.queuedBytes + buf.length > QUEUE_BYTES_CAP))
        return false;
      this.queuedBytes += buf.length;
      const lateOnArrival = epochNow() - intended > LATE_MS;
      this.queue.push({ buf, qos, stream, intended, bytes, lateOnArrival });
      return true;
    }
    this.write(buf, qos, stream, intended, bytes, true);
    return true;
  }

  /** `lateOnArrival`: it was already late when handed over (true for what was not queued) */
  private write(
    buf: Buffer,
    qos: PublishQos,
    stream: number,
    intended: number,
    bytes: number,
    lateOnArrival: boolean,
  ): void {
    if (qos > 0) {
      let id = this.nextId;
      while (this.inFlight.has(id)) id = id === 65_535 ? 1 : id + 1;
      this.nextId = id === 65_535 ? 1 : id + 1;
      setPacketId(buf, packetIdOffset(buf), id);
      this.inFlight.set(id, { stream, qos, intended, released: false });
    }
    const ok = this.sock.write(buf);
    if (stream >= 0) {
      const late = epochNow() - intended > LATE_MS;
      this.sink.published(stream, bytes, late, late && !lateOnArrival);
    }
    if (!ok) {
      this.blocked = true;
      this.sock.once('drain', onDrain);
    }
  }

  drained(): void {
    this.blocked = false;
    this.pump();
  }

  private pump(): void {
    const q = this.queue;
    while (this.head < q.length && !this.blocked && !this.stopped) {
      const p = q[this.head]!;
      if (p.qos > 0 && this.inFlight.size >= this.window) break;
      q[this.head++] = undefined as unknown as Pending;
      this.queuedBytes -= p.buf.length;
      this.write(p.buf, p.qos, p.stream, p.intended, p.bytes, p.lateOnArrival);
    }
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    } else if (this.head > 256 && this.head * 2 > q.length) {
      q.splice(0, this.head);
      this.head = 0;
    }
    this.checkSettled();
  }

  /** PUBACK, PUBREC, PUBREL or PUBCOMP (type 4–7) for `id` with `reason`: null, or what was wrong. */
  onAck(type: number, id: number, reason: number): string | null {
    if (type === 6) {
      // PUBREL of a QoS 2 delivery: PUBCOMP, "Packet Identifier not found" (MQTT 5) when it is not ours
      const known = this.receiving.delete(id);
      this.sock.write(encodeAck(PUBCOMP, id, known || !this.v5 ? 0 : 0x92));
      return null;
    }
    const f = this.inFlight.get(id);
    if (f === undefined)
      return `${type === 4 ? 'PUBACK' : type === 5 ? 'PUBREC' : 'PUBCOMP'} for packet id ${id}, not in flight`;
    if (type === 4) {
      if (f.qos !== 1) return `PUBACK for packet id ${id}, a QoS 2 PUBLISH`;
      this.inFlight.delete(id);
      if (reason < 0x80 && f.stream >= 0) this.sink.acked(f.stream, 1, (epochNow() - f.intended) * 1000);
    } else if (type === 5) {
      if (f.qos !== 2 || f.released)
        return `PUBREC for packet id ${id}, ${f.qos !== 2 ? 'a QoS 1 PUBLISH' : 'released already'}`;
      if (reason >= 0x80) this.inFlight.delete(id);
      else {
        f.released = true;
        this.sock.write(encodeAck(PUBREL, id));
        return null;
      }
    } else {
      if (!f.released) return `PUBCOMP for packet id ${id} before its PUBREC`;
      this.inFlight.delete(id);
      if (f.stream >= 0) this.sink.acked(f.stream, 2, (epochNow() - f.intended) * 1000);
    }
    this.pump();
    return null;
  }

  /** A PUBLISH came: acknowledged as its QoS says. False: a QoS 2 duplicate, not to be passed on. */
  onPublish(m: InboundPublish): boolean {
    if (m.qos === 0) return true;
    if (m.qos === 1) {
      this.sock.write(encodeAck(PUBACK, m.packetId));
      return true;
    }
    const again = this.receiving.has(m.packetId);
    this.receiving.add(m.packetId);
    this.sock.write(encodeAck(PUBREC, m.packetId));
    return !again;
  }

  settle(maxMs: number, cb: () => void): void {
    this.settleCb = cb;
    if (this.checkSettled()) return;
    this.settleTimer = setTimeout(() => this.settled(), maxMs);
  }

  private checkSettled(): boolean {
    if (this.settleCb === undefined || this.queued > 0 || this.inFlight.size > 0) return false;
    this.settled();
    return true;
  }

  private settled(): void {
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    const cb = this.settleCb;
    this.settleCb = undefined;
    cb?.();
  }

  /** The connection is gone: nothing more goes out; a settle() waiting is answered. */
  close(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.settled();
  }
}
