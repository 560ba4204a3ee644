/**
 * A connection worker: owns the sockets of its devices. It builds each device's TLS
 * context and packets once, starts attempts when the coordinator says (each with its
 * intended start, so queueing behind the in-flight cap shows in the `connect` latency),
 * holds connections with keepalive, runs what held devices do (telemetry.ts: their traffic
 * streams), and reports compact deltas. It decides no policy.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import { openStore, type DeviceStore } from '../pki/index.js';
import { Recorder, deltaTransferList } from '../metrics/recorder.js';
import type { Fault } from '../model/names.js';
import {
  prepareDevice,
  attempt,
  type PreparedDevice,
  type AttemptOutcome,
  type AttemptOptions,
  type DriverRunOptions,
  type HeldConnection,
  type Target,
} from '../mqtt/index.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { cpuMs, epochNow, lagMs, LAG_RESOLUTION_MS } from '../util/clock.js';
import { ArrivalQueue } from './arrival-queue.js';
import { Outcomes } from './outcomes.js';
import { DeviceTraffic, SETTLE_MS } from './telemetry.js';
import { driverOptions } from './driver-options.js';

interface Slot {
  /** built when the device is first due, released when it will not connect again */
  prepared: PreparedDevice | undefined;
  fault: Fault | undefined;
  held: HeldConnection | undefined;
  busy: boolean;
  /** cut on purpose (a simulated outage): its end is a drop, not a failure */
  cut: boolean;
}

export class ConnectionWorker {
  private readonly slots = new Map<number, Slot>();
  private store: DeviceStore | undefined;
  private readonly runOptions: DriverRunOptions;
  private readonly rec = new Recorder();
  /** event-loop delay since the last report (live) and over the whole run (health) */
  private readonly lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private readonly lagRun = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private readonly queue = new ArrivalQueue();
  private readonly outcomes = new Outcomes();
  private received = 0;
  private inFlight = 0;
  /** open loop: since when every slot of the in-flight cap has been taken (undefined: one is free) */
  private fullSince: number | undefined;
  private heldCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private reporter: NodeJS.Timeout | undefined;
  private stopping = false;
  private closed: { concurrency: number; remaining: number; cycle: boolean; order: number[]; next: number } | undefined;
  private routeNext = 0;
  /** every (target, source address) pair, built once; attempts rotate over them */
  private readonly routes: Target[];
  private readonly attemptOptions: AttemptOptions;
  /** the same, offering the device's last session (for the resume_ratio share of reconnects) */
  private readonly resumeOptions: AttemptOptions;
  /** what held devices do; undefined when the run has no device traffic */
  private readonly traffic: DeviceTraffic | undefined;

  constructor(
    private readonly init: WorkerInit,
    private readonly port: MessagePort,
  ) {
    const sources = init.sourceIps.length ? init.sourceIps : [undefined];
    this.routes = init.targets.flatMap((t) =>
      sources.map((localAddress): Target => ({
        host: t.host,
        port: t.port,
        transport: t.transport,
        path: t.path,
        servername: init.servername ?? t.servername,
        localAddress,
        alpn: init.alpn,
      })),
    );
    const capture = init.resumeRatio > 0;
    this.traffic = DeviceTraffic.needed(init.traffic) ? new DeviceTraffic(init, this.rec.messages) : undefined;
    const traffic = this.traffic?.hooks;
    this.attemptOptions = { timeouts: init.timeouts, captureSession: capture, traffic };
    this.resumeOptions = { timeouts: init.timeouts, captureSession: capture, resume: true, traffic };
    this.runOptions = driverOptions(init);
  }

  /**
   * A device's packets (and, without shared contexts, its TLS context), built once when it is
   * first due (arrivals come ~50 ms ahead, so mostly before its intended start). Building
   * every device's context up front would cost ~0.7 ms CPU and ~34 KB each before the first connect.
   */
  private prepared(k: number, slot: Slot): PreparedDevice {
    if (slot.prepared) return slot.prepared;
    const index = this.init.deviceStart + k;
    const d = this.store!.device(index);
    const { id, fault } = d;
    const [certPem, keyPem] = fault === 'no_cert' ? [] : [d.certPem, d.keyPem];
    const creds = { id, index, certPem, keyPem, fault };
    slot.prepared = prepareDevice(creds, this.runOptions, this.traffic?.extras(index, id));
    return slot.prepared;
  }

  start(): void {
    const t = epochNow();
    this.store = openStore(this.init.storePath);
    const { workerId, workers, deviceCount } = this.init;
    for (let i = workerId; i < deviceCount; i += workers) {
      this.slots.set(i, {
        prepared: undefined,
        fault: this.store.fault(this.init.deviceStart + i),
        held: undefined,
        busy: false,
        cut: false,
      });
    }
    this.lag.enable();
    this.lagRun.enable();
    this.reporter = setInterval(() => this.report(false), this.init.reportMs);
    const [pid, processCpuMs, rssBytes] = [process.pid, cpuMs(), process.memoryUsage.rss()];
    this.send({
      type: 'ready',
      workerId,
      devices: this.slots.size,
      prepMs: epochNow() - t,
      pid,
      processCpuMs,
      rssBytes,
    });
  }

  onMessage(m: ToWorker): void {
    switch (m.type) {
      case 'arrivals':
        for (let i = 0; i < m.devices.length; i++) this.queue.push(m.devices[i]!, m.intended[i]!);
        for (const k of m.devices) {
          const slot = this.slots.get(k);
          if (slot) this.prepared(k, slot);
        }
        this.received += m.devices.length;
        this.pump();
        break;
      case 'closed': {
        this.received++; // the coordinator counts the order as handed out
        const order = [...this.slots.keys()];
        this.closed = {
          concurrency: m.concurrency,
          remaining: m.maxAttempts ?? Infinity,
          cycle: m.cycle,
          order,
          next: 0,
        };
        this.pumpClosed();
        break;
      }
      case 'drop':
        for (const slot of this.slots.values()) {
          if (!slot.held) continue;
          slot.cut = true;
          slot.held.destroy();
        }
        break;
      case 'stop':
        void this.stop(m.graceful);
        break;
      case 'init':
        break;
    }
  }

  /** Open loop: start queued arrivals whose time has come, within the in-flight cap. */
  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (!this.stopping && this.queue.size > 0 && this.inFlight < this.init.inFlightCap) {
      const at = this.queue.nextAt()!;
      const now = epochNow();
      if (at > now + 0.5) {
        this.timer = setTimeout(this.pumpLater, at - now);
        break;
      }
      this.begin(this.queue.shift(), at);
    }
    if (this.inFlight < this.init.inFlightCap) this.fullSince = undefined;
  }

  private readonly pumpLater = (): void => this.pump();

  /** Closed loop: keep `concurrency` attempts in flight; the intended start is the actual start. */
  private pumpClosed(): void {
    const c = this.closed;
    if (!c) return;
    while (!this.stopping && this.inFlight < c.concurrency && c.remaining > 0) {
      let device: number | undefined;
      for (let tries = 0; tries < c.order.length; tries++) {
        const cand = c.order[c.next % c.order.length]!;
        c.next++;
        if (!c.cycle && c.next > c.order.length) break;
        if (!this.slots.get(cand)!.busy) {
          device = cand;
          break;
        }
      }
      if (device === undefined) break;
      c.remaining--;
      this.begin(device, epochNow());
    }
  }

  private idle(): boolean {
    const c = this.closed;
    if (!c) return true;
    return c.remaining <= 0 || (!c.cycle && c.next >= c.order.length);
  }

  private begin(device: number, intended: number): void {
    const slot = this.slots.get(device);
    if (!slot) throw new Error(`device ${device} is not owned by worker ${this.init.workerId}`);
    // A device has one connection at a time. Schedules never hand out a device that is
    // still up (attempts ≤ devices; replacements only for dropped ones), so this is a guard.
    if (slot.busy) return;
    slot.busy = true;
    if (!this.closed) this.scheduled(intended);
    this.inFlight++;
    this.rec.attempt();
    const route = this.routes[this.routeNext++ % this.routes.length]!;
    const prepared = this.prepared(device, slot);
    const hasSession = prepared.session !== undefined;
    const resume = hasSession && Math.random() < this.init.resumeRatio;
    if (hasSession) this.rec.reconnect(resume);
    attempt(prepared, route, resume ? this.resumeOptions : this.attemptOptions, (o) =>
      this.settle(device, slot, intended, o),
    );
  }

  /**
   * Open loop: how late this start is against its intended one, and whether it waited for a
   * slot (it came due more than a millisecond ago while the cap was full).
   */
  private scheduled(intended: number): void {
    const now = epochNow();
    this.rec.scheduled(intended, now, this.fullSince !== undefined && now - intended > 1);
    if (this.inFlight + 1 >= this.init.inFlightCap) this.fullSince ??= now;
  }

  private settle(device: number, slot: Slot, intended: number, o: AttemptOutcome): void {
    this.inFlight--;
    const t = o.timings;
    if (t.tcp !== undefined) this.rec.recordPhase('tcp', t.tcp);
    if (t.tls !== undefined) {
      if (o.ok && o.resumed) this.rec.resumedHandshake(t.tls);
      else this.rec.recordPhase('tls', t.tls);
    }
    if (t.ws !== undefined) this.rec.recordPhase('ws', t.ws);
    if (t.connack !== undefined) this.rec.recordPhase('connack', t.connack);
    if (t.subscribe !== undefined) this.rec.recordPhase('subscribe', t.subscribe);
    if (o.ok) {
      if (slot.fault) {
        this.rec.acceptedUnexpectedly(slot.fault);
        o.held.disconnect();
        this.free(slot);
      } else {
        this.rec.recordPhase('connect', Math.max(0, (o.readyAt - intended) * 1000));
        this.rec.connected();
        if (this.init.reportOutcomes) this.outcomes.connected.add(device, o.readyAt);
        this.hold(device, slot, o.held, o.readyAt);
      }
    } else {
      this.free(slot);
      if (slot.fault) this.rec.rejectedAsExpected(slot.fault, o.phase, o.reason, o.detail);
      else this.rec.failure(o.phase, o.reason, undefined, o.detail);
      // a faulty device will never get in: nobody retries it
      if (this.init.reportOutcomes && !slot.fault) this.outcomes.failed.add(device);
    }
    if (this.closed) this.pumpClosed();
    else this.pump();
  }

  /** The device's connection ended: release its context unless the executor will use it again. */
  private free(slot: Slot): void {
    slot.busy = false;
    if (!this.init.reuseDevices) slot.prepared = undefined;
  }

  private hold(device: number, slot: Slot, held: HeldConnection, readyAt: number): void {
    const hold = this.init.holdMs;
    if (hold === 0 || this.stopping) {
      held.disconnect();
      this.free(slot);
      return;
    }
    slot.held = held;
    this.heldCount++;
    this.rec.active(1);
    const index = this.init.deviceStart + device;
    let timer: NodeJS.Timeout | undefined;
    const release = (): void => {
      if (timer) clearTimeout(timer);
      this.traffic?.ended(index);
      slot.held = undefined;
      this.free(slot);
      this.heldCount--;
      this.rec.active(-1);
    };
    held.onDrop((phase, reason, detail) => {
      release();
      this.rec.failure(phase, reason, undefined, detail);
      this.rec.dropped();
      this.outcomes.dropped.add(device);
      if (this.closed) this.pumpClosed();
    });
    held.onEnd(() => {
      release();
      if (slot.cut) {
        slot.cut = false;
        this.rec.dropped();
        this.outcomes.dropped.add(device);
      }
      if (this.closed) this.pumpClosed();
    });
    const t = this.traffic;
    t?.start(index, slot.prepared!.id, held, readyAt);
    if (hold !== Infinity) timer = setTimeout(() => (t ? t.finish(index, held) : held.disconnect()), hold);
  }

  /** A held device's graceful end: its traffic settles (≤ SETTLE_MS), then DISCONNECT. */
  private async endHeld(h: HeldConnection): Promise<void> {
    if (this.traffic !== undefined) await new Promise<void>((resolve) => h.settle(SETTLE_MS, resolve));
    await h.disconnectAndWait(2000);
  }

  private async stop(graceful: boolean): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    // arrivals never started are dropped: they were not attempted
    this.queue.clear();
    this.traffic?.stop();
    const waits: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      const h = slot.held;
      if (!h) continue;
      waits.push(graceful ? this.endHeld(h) : (h.destroy(), Promise.resolve()));
    }
    await Promise.all(waits);
    // attempts in flight finish on their own timeouts
    const deadline =
      epochNow() +
      this.init.timeouts.tcpMs +
      this.init.timeouts.tlsMs +
      this.init.timeouts.connackMs +
      this.init.timeouts.subscribeMs;
    while (this.inFlight > 0 && epochNow() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (this.reporter) clearInterval(this.reporter);
    this.report(true);
  }

  private report(final: boolean): void {
    this.send({
      type: 'report',
      workerId: this.init.workerId,
      delta: this.rec.drain(),
      dropped: this.outcomes.dropped.take(),
      failed: this.outcomes.failed.take(),
      connected: this.outcomes.connected.take(),
      received: this.received,
      inFlight: this.inFlight,
      queued: this.queue.size,
      held: this.heldCount,
      idle: this.idle(),
      lagP99Ms: lagMs(this.lag.percentile(99)),
      lagRunP99Ms: lagMs(this.lagRun.percentile(99)),
      lagRunMeanMs: lagMs(this.lagRun.mean),
      pid: process.pid,
      processCpuMs: cpuMs(),
      rssBytes: process.memoryUsage.rss(),
      final,
    });
    this.lag.reset();
  }

  private send(m: FromWorker): void {
    if (m.type === 'report') {
      const own = [m.dropped, m.failed, m.connected].flatMap((t) => [
        t.devices.buffer as ArrayBuffer,
        t.at.buffer as ArrayBuffer,
      ]);
      this.port.postMessage(m, [...deltaTransferList(m.delta), ...own]);
    } else this.port.postMessage(m);
  }
}
