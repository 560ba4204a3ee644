/**
 * What a connection worker's devices do once connected: publish their telemetry streams on
 * schedule (traffic/schedule.ts, one Ticker for the thread), hand what they receive to
 * device-inbound.ts (deliveries counted, commands answered), and at the end of a hold stop
 * scheduling and wait at most SETTLE_MS for outstanding acks before the DISCONNECT. Counts
 * go to the worker's MessageRecorder, drained into its periodic delta.
 */
import type { MessageRecorder } from '../metrics/messages.js';
import type { DeviceExtras, HeldConnection, TrafficHooks } from '../mqtt/index.js';
import type { StreamConfig } from '../traffic/stream.js';
import type { TelemetryConfig } from '../traffic/telemetry.js';
import type { CommandsConfig } from '../traffic/commands.js';
import type { TopicVars } from '../traffic/topics.js';
import { fillTopic } from '../traffic/topics.js';
import { buildTelemetry, built, prepareTelemetry, type TelemetryPublisher } from '../traffic/payload.js';
import { fleetPhase, intervalMs, meanIntervalMs, publishes, publishingDevices, seedOf } from '../traffic/schedule.js';
import { epochNow } from '../util/clock.js';
import { Ticker } from './ticker.js';
import { DeviceInbound, type DeviceState } from './device-inbound.js';

/** At a hold's end, how long outstanding QoS 1/2 messages may take to be acknowledged. */
export const SETTLE_MS = 2000;
/** When a device's queue is full, how soon its next message is tried again (it keeps its intended time). */
const RETRY_MS = 10;

export interface TrafficInit {
  traffic: readonly StreamConfig[];
  mqttVersion: 4 | 5;
  seed: string | undefined;
  shard: number;
  /** the devices this process runs: store indexes [deviceStart, deviceStart + deviceCount) */
  deviceStart: number;
  deviceCount: number;
}

interface Publisher {
  readonly tp: TelemetryPublisher;
  readonly meanMs: number;
  seq: number;
  next: number;
  /** bumped when the device's connection ends: entries of an older one are skipped */
  gen: number;
  held: HeldConnection | undefined;
}

interface Device extends DeviceState {
  pubs: Publisher[];
}

export class DeviceTraffic {
  readonly hooks: TrafficHooks;
  private readonly devices = new Map<number, Device>();
  private readonly seed: number;
  /** per telemetry stream index: mean interval per device */
  private readonly means = new Map<number, number>();
  private readonly ticker = new Ticker<{ p: Publisher; gen: number }>((e) => this.tick(e.p, e.gen));
  private readonly inbound: DeviceInbound;

  constructor(
    private readonly init: TrafficInit,
    private readonly rec: MessageRecorder,
  ) {
    this.seed = seedOf(init.seed);
    init.traffic.forEach((c, i) => {
      if (c.kind !== 'telemetry') return;
      const t = c as TelemetryConfig;
      this.means.set(i, meanIntervalMs(t, publishingDevices(init.deviceStart, init.deviceCount, t.share)));
    });
    this.inbound = new DeviceInbound(init.traffic, init.mqttVersion, init.shard, rec, (index, id) =>
      this.device(index, id),
    );
    this.hooks = { sink: rec, message: (conn, m) => this.inbound.message(conn, m) };
  }

  /** Whether the run has anything for devices to do. */
  static needed(traffic: readonly StreamConfig[]): boolean {
    return traffic.some((c) => c.kind === 'telemetry' || c.kind === 'commands');
  }

  private vars(index: number, id: string, stream: string): TopicVars {
    return { id, i: index, shard: this.init.shard, stream };
  }

  /** What device `index` needs besides the run's options: its command topics to subscribe to. */
  extras(index: number, id: string): DeviceExtras {
    const subscriptions = this.init.traffic.flatMap((c) => {
      if (c.kind !== 'commands') return [];
      const k = c as CommandsConfig;
      return [{ topic: fillTopic(k.commandTopic, this.vars(index, id, c.name)), qos: k.qos }];
    });
    return { subscriptions };
  }

  private device(index: number, id: string): Device {
    let d = this.devices.get(index);
    if (d !== undefined) return d;
    const pubs: Publisher[] = [];
    this.init.traffic.forEach((c, i) => {
      if (c.kind !== 'telemetry') return;
      const t = c as TelemetryConfig;
      if (!publishes(index, t.share)) return;
      const tp = prepareTelemetry(t, i, this.vars(index, id, c.name), this.init.mqttVersion);
      pubs.push({ tp, meanMs: this.means.get(i)!, seq: 0, next: 0, gen: 0, held: undefined });
    });
    d = { index, id, pubs, tracker: undefined, responseTopics: new Map() };
    this.devices.set(index, d);
    return d;
  }

  /** Device `index` is connected (CONNACK, and SUBACK if it subscribes) since `readyAt` (epoch ms). */
  start(index: number, id: string, held: HeldConnection, readyAt: number): void {
    const d = this.device(index, id);
    for (const p of d.pubs) {
      const c = p.tp.c;
      p.held = held;
      if (c.count !== undefined && p.seq >= c.count) continue;
      // a fleet aligned on one instant (a capacity step) starts together, spread over an interval
      p.next =
        c.alignAtMs === undefined
          ? readyAt + c.startDelayMs
          : Math.max(readyAt, c.alignAtMs + fleetPhase(p.tp.device, c.share) * p.meanMs);
      this.ticker.schedule(p.next, { p, gen: p.gen });
    }
  }

  private tick(p: Publisher, gen: number): void {
    if (gen !== p.gen || p.held === undefined) return;
    const c = p.tp.c;
    const buf = buildTelemetry(p.tp, p.seq, p.next, this.seed);
    if (!p.held.publish(buf, c.qos, p.tp.stream, p.next, built.bytes)) {
      this.ticker.schedule(epochNow() + RETRY_MS, { p, gen });
      return;
    }
    p.seq++;
    if (c.count !== undefined && p.seq >= c.count) return;
    p.next += intervalMs(c, p.meanMs, this.seed, p.tp.device, p.seq);
    this.ticker.schedule(p.next, { p, gen });
  }

  /** No more messages for device `index` on this connection. */
  private halt(index: number): void {
    const d = this.devices.get(index);
    if (d === undefined) return;
    for (const p of d.pubs) {
      p.gen++;
      p.held = undefined;
    }
  }

  /** The device's connection ended (dropped or closed). */
  ended(index: number): void {
    this.halt(index);
  }

  /** Its hold is over: stop scheduling, wait ≤ SETTLE_MS for acks, then DISCONNECT. */
  finish(index: number, held: HeldConnection): void {
    this.halt(index);
    held.settle(SETTLE_MS, () => held.disconnect());
  }

  /** The run stops: every schedule ends. */
  stop(): void {
    for (const index of this.devices.keys()) this.halt(index);
    this.ticker.clear();
  }

  /** Forget a device that will not connect again (its buffers go). */
  release(index: number): void {
    this.halt(index);
    this.devices.delete(index);
  }
}
