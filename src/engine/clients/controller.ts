/**
 * The controllers of one commands stream. Open loop: command k is meant to be sent at
 * start + k / rate (the start: when the first device can take commands), by controller
 * k mod controllers, to the next target in turn — a device held with more than a second
 * of its hold left. Its header: device CONTROLLER_BASE + n, seq = correlation = k (unique
 * over the stream's controllers), MQTT 5 Correlation Data (n, k) and Response Topic. A
 * response (from the device, header repeated) ends the round trip: command_rtt and the
 * stream's delivery, from the command's intended time.
 */
import type { MqttClient, IClientPublishOptions } from 'mqtt';
import { epochNow } from '../../util/clock.js';
import { CONTROLLER_BASE, HEADER_BYTES, readHeader, writeHeader } from '../../traffic/header.js';
import { fillTopic } from '../../traffic/topics.js';
import type { MessageRecorder } from '../../metrics/messages.js';
import { LATE_MS } from '../../model/messages.js';
import type { ControllerSpec } from './protocol.js';

/** A device whose hold ends sooner than this gets no command (its answer could miss it). */
export const TARGET_MARGIN_MS = 1000;

/** Devices that can take a command now, in turn. */
export class Targets {
  private readonly list: number[] = [];
  private readonly pos = new Map<number, number>();
  private readonly until = new Map<number, number>();
  private cursor = 0;

  get size(): number {
    return this.list.length;
  }

  add(device: number, until: number): void {
    this.until.set(device, until);
    if (this.pos.has(device)) return;
    this.pos.set(device, this.list.length);
    this.list.push(device);
  }

  remove(device: number): void {
    const i = this.pos.get(device);
    if (i === undefined) return;
    const last = this.list.pop()!;
    if (i < this.list.length) {
      this.list[i] = last;
      this.pos.set(last, i);
    }
    this.pos.delete(device);
    this.until.delete(device);
  }

  /** The next device still eligible at `now`, or undefined. */
  pick(now: number): number | undefined {
    while (this.list.length > 0) {
      if (this.cursor >= this.list.length) this.cursor = 0;
      const d = this.list[this.cursor]!;
      if (this.until.get(d)! > now) {
        this.cursor++;
        return d;
      }
      this.remove(d);
    }
    return undefined;
  }
}

export interface CommandEnv {
  rec: MessageRecorder;
  mqttVersion: 4 | 5;
  /** topic variables of device (local index) d */
  vars(d: number): { id: string; i: number; shard: number; stream: string };
  /** the store index a device's messages carry */
  index(d: number): number;
}

export class CommandStream {
  readonly targets = new Targets();
  private start: number | undefined;
  private next = 0;
  private readonly pending = new Map<number, { intended: number; device: number }>();
  private answered = new Uint8Array(1024);
  private maxAnswered = -1;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  lastResponseAt = 0;
  /** commands due while no device could take one */
  skipped = 0;

  constructor(
    private readonly spec: ControllerSpec,
    private readonly clients: MqttClient[],
    private readonly env: CommandEnv,
  ) {
    for (const c of clients) c.on('message', (_t, payload) => this.onResponse(payload));
  }

  get outstanding(): number {
    return this.pending.size;
  }

  /** The filter its controllers subscribe to: the response template with a + for each level holding a placeholder. */
  static responseFilter(spec: ControllerSpec): string {
    const f = spec.responseTopic
      .split('/')
      .map((l) => (l.includes('{') ? '+' : l))
      .join('/');
    return spec.of > 1 ? `$share/herd/${f}` : f;
  }

  run(): void {
    const every = 1000 / this.spec.rate;
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.min(10, every)));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.stopped) return;
    const now = epochNow();
    if (this.start === undefined) {
      if (this.targets.pick(now) === undefined) return;
      this.start = now;
    }
    const every = 1000 / this.spec.rate;
    while (this.start + this.next * every <= now) {
      const k = this.next++;
      this.send(k, this.start + k * every, now);
    }
  }

  private send(k: number, intended: number, now: number): void {
    const d = this.targets.pick(now);
    if (d === undefined) {
      this.skipped++;
      return;
    }
    const { spec, env } = this;
    const n = k % spec.of;
    const client = this.clients[n]!;
    const payload = Buffer.alloc(Math.max(spec.payload, HEADER_BYTES));
    writeHeader(payload, { stream: spec.stream, device: CONTROLLER_BASE + n, seq: k, intended, correlation: k });
    const vars = env.vars(d);
    const opts: IClientPublishOptions = { qos: spec.qos };
    if (env.mqttVersion === 5) {
      const corr = Buffer.allocUnsafe(8);
      corr.writeUInt32BE(n, 0);
      corr.writeUInt32BE(k >>> 0, 4);
      opts.properties = { responseTopic: fillTopic(spec.responseTopic, vars), correlationData: corr };
    }
    this.pending.set(k, { intended, device: env.index(d) });
    client.publish(fillTopic(spec.commandTopic, vars), payload, opts, (err) => {
      if (!err && spec.qos > 0) env.rec.acked(spec.stream, spec.qos, Math.max(0, (epochNow() - intended) * 1000));
    });
    env.rec.published(spec.stream, payload.length, epochNow() - intended > LATE_MS);
  }

  private onResponse(payload: Buffer): void {
    const now = epochNow();
    const h = readHeader(payload);
    if (h === null || h.stream !== this.spec.stream) return;
    const k = h.correlation;
    const p = this.pending.get(k);
    const micros = (at: number): number => Math.max(0, (now - at) * 1000);
    if (p !== undefined && p.device === h.device) {
      this.pending.delete(k);
      this.mark(k);
      this.env.rec.commandRtt(micros(p.intended));
      this.env.rec.delivered(
        h.stream,
        payload.length,
        micros(p.intended),
        k < this.maxAnswered ? 'out-of-order' : 'new',
      );
      this.maxAnswered = Math.max(this.maxAnswered, k);
      this.lastResponseAt = now;
    } else if (p === undefined && this.wasAnswered(k)) {
      this.env.rec.delivered(h.stream, payload.length, micros(h.intended), 'duplicate');
      this.lastResponseAt = now;
    }
  }

  private mark(k: number): void {
    const byte = k >> 3;
    if (byte >= this.answered.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.answered.length * 2));
      grown.set(this.answered);
      this.answered = grown;
    }
    this.answered[byte] = this.answered[byte]! | (1 << (k & 7));
  }

  private wasAnswered(k: number): boolean {
    return ((this.answered[k >> 3] ?? 0) & (1 << (k & 7))) !== 0;
  }
}
