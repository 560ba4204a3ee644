/**
 * src/engine: the coordinator, its connection workers and the generator processes.
 *
 * The coordinator owns the schedule clock, hands arrivals to the connection workers a
 * little ahead of time (each carries its intended start), applies the executor's policy
 * (replacing dropped connections, a storm) and hands the workers' deltas on. It never
 * touches a socket.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WorkerPool, fatalError } from './pool.js';
import type { FromWorker, WorkerInit } from './protocol.js';
import type { Schedule } from '../load/schedule.js';
import type { LoadPolicy } from '../load/policy.js';
import type { Summary } from '../model/summary.js';
import { cpuMs, epochNow, lagMs, LAG_RESOLUTION_MS } from '../util/clock.js';
import type { MessageDelta } from '../metrics/messages.js';
import { ClientHost } from './clients/host.js';
import type { ClientsInit } from './clients/protocol.js';
import { Footprint, type FootprintResult } from './footprint.js';
import { brokerCpuMs, type BrokerProcess } from './probe.js';

/** How far ahead of their intended start arrivals are handed to workers. */
const LOOKAHEAD_MS = 50;
const TICK_MS = 10;

export interface EnginePlan {
  /** per-worker settings, less workerId */
  worker: Omit<WorkerInit, 'workerId' | 'workers'>;
  workers: number;
  /** generator child processes to spread the workers over (1: threads of this process) */
  processes: number;
  schedule: Schedule;
  /** the executor's policy while the run goes on (undefined: the schedule alone) */
  policy: LoadPolicy | undefined;
  /** end the run this long after the start even if connections are held (ms) */
  endAfterMs: number | undefined;
  /** absolute epoch ms to start at (shards), else as soon as workers are ready */
  startAt?: number | undefined;
  /** the traffic's extra clients (subscribers, controllers), connected before any device */
  clients?: ClientsInit | undefined;
  /** the broker's processes when they run on this machine: their CPU is read at the phases' ends */
  broker?: BrokerProcess | undefined;
}

export type WorkerReport = Extract<FromWorker, { type: 'report' }>;

export interface EngineHooks {
  onReady?(prepMs: number): void;
  onStart?(t0: number): void;
  onReport?(r: WorkerReport): void;
  /** once a second */
  onTick?(state: EngineState): void;
  /** a delta of the extra clients' messages, for the totals */
  onClientDelta?(d: MessageDelta, at: number): void;
  onWarning?(line: string): void;
}

export interface EngineState {
  t0: number;
  dispatched: number;
  scheduleDone: boolean;
  inFlight: number;
  queued: number;
  held: number;
  lagP99Ms: number[];
  coordinatorLagP99Ms: number;
}

export interface EngineResult {
  t0: number;
  ended: number;
  prepMs: number;
  interrupted: boolean;
  dispatched: number;
  /** worker event-loop lag p99 over the run, per worker, ms (from its last report) */
  workerLagP99Ms: number[];
  /** worker event-loop lag mean over the run, per worker, ms */
  workerLagMeanMs: number[];
  coordinatorLagP99Ms: number;
  /** CPU ms used between start and end: this process, plus all generator processes (their whole life) */
  cpuMs: number;
  /** the most resident memory seen, this process plus the generator processes */
  rssPeakBytes: number;
  processes: number;
  /** memory per held connection and CPU per phase (ramp, hold), the generator's and a local broker's */
  footprint: FootprintResult;
  /** what the executor's policy adds to the summary */
  policyResult: Partial<Pick<Summary, 'recovery'>>;
}

export class Engine {
  private readonly pool: WorkerPool;
  private readonly last: (WorkerReport | undefined)[];
  private readonly runLag: number[];
  private readonly runLagMean: number[];
  private finals = 0;
  private stopping = false;
  private interrupted = false;
  private dispatched = 0;
  private scheduleDone = false;
  private t0 = 0;
  /** generator processes' latest CPU and memory, by pid */
  private readonly children = new Map<number, { cpuMs: number; rss: number }>();
  private rssPeak = 0;
  private resolveDone: (() => void) | undefined;
  private clients: ClientHost | undefined;
  /** messages the devices published, per stream index (what the subscribers should receive) */
  private readonly published: number[] = [];
  private rejectDone: ((e: Error) => void) | undefined;
  private readonly footprint: Footprint;

  constructor(
    private readonly plan: EnginePlan,
    private readonly hooks: EngineHooks = {},
  ) {
    this.pool = new WorkerPool(plan.workers, plan.processes);
    this.last = new Array<WorkerReport | undefined>(plan.workers).fill(undefined);
    this.runLag = new Array<number>(plan.workers).fill(0);
    this.runLagMean = new Array<number>(plan.workers).fill(0);
    const { broker } = plan;
    this.footprint = new Footprint({
      cpuMs: () => this.generatorCpuMs(),
      rssBytes: () => this.generatorRss(),
      brokerCpuMs: () => (broker === undefined ? undefined : brokerCpuMs(broker)),
    });
  }

  /** Stop scheduling, disconnect what is held and finish (Ctrl-C). */
  interrupt(): void {
    this.interrupted = true;
    this.stop(true);
  }

  async run(): Promise<EngineResult> {
    const prepStart = epochNow();
    const done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    done.catch(() => undefined);
    // the extra clients connect and subscribe while the workers start: all before any device
    const clients = this.plan.clients
      ? new ClientHost(this.plan.clients, {
          onDelta: (d, at) => this.hooks.onClientDelta?.(d, at),
          onWarning: (line) => this.hooks.onWarning?.(line),
          onFailure: (e) => this.rejectDone?.(e),
        })
      : undefined;
    this.clients = clients;
    const clientsReady = clients?.start();
    clientsReady?.catch(() => undefined);
    const workersReady = this.pool.start((id) => this.workerInit(id), {
      onMessage: (m) => this.onMessage(m),
      onFailure: (e) => this.rejectDone?.(e),
      finished: () => this.stopping && this.finals >= this.plan.workers,
    });
    try {
      await workersReady;
      await clientsReady;
    } catch (e) {
      await Promise.all([this.pool.terminate(), clients?.terminate()]);
      throw e;
    }
    const prepMs = epochNow() - prepStart;
    this.hooks.onReady?.(prepMs);

    const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    lag.enable();
    this.t0 = Math.max(epochNow() + 20, this.plan.startAt ?? 0);
    if (this.plan.startAt !== undefined && this.plan.startAt > epochNow()) {
      await new Promise((r) => setTimeout(r, this.plan.startAt! - epochNow()));
    }
    this.hooks.onStart?.(this.t0);
    this.footprint.begin(epochNow());
    const cpu0 = process.cpuUsage();
    const timers = this.startClock(lag);
    try {
      await done;
      // the devices are done: the subscribers wait for what is still on its way, then all disconnect
      if (clients) {
        await clients.drain(this.published);
        await clients.close();
      }
    } catch (e) {
      // a worker failed: end the others too, or their sockets and timers keep the process alive
      this.stop(false);
      await Promise.all([this.pool.terminate(), clients?.terminate()]);
      throw e;
    } finally {
      for (const t of timers) clearInterval(t);
      lag.disable();
    }
    const cpu = process.cpuUsage(cpu0);
    const ended = epochNow();
    const footprint = this.footprint.finish(ended);
    await this.pool.terminate();
    return {
      t0: this.t0,
      ended,
      prepMs,
      interrupted: this.interrupted,
      dispatched: this.dispatched,
      workerLagP99Ms: [...this.runLag],
      workerLagMeanMs: [...this.runLagMean],
      coordinatorLagP99Ms: lagMs(lag.percentile(99)),
      cpuMs: (cpu.user + cpu.system) / 1000 + this.childrenSum('cpuMs'),
      rssPeakBytes: this.rssPeak,
      processes: this.pool.processCount,
      footprint,
      policyResult: this.plan.policy?.result?.() ?? {},
    };
  }

  /** CPU ms the generator processes used since they started: this one (its threads included) and the others as of their latest message. */
  generatorCpuMs(): number {
    return cpuMs() + this.childrenSum('cpuMs');
  }

  /** Resident memory of the generator processes: this one now, the others as of their latest message. */
  private readonly generatorRss = (): number => process.memoryUsage.rss() + this.childrenSum('rss');
  private readonly childrenSum = (k: 'cpuMs' | 'rss'): number =>
    [...this.children.values()].reduce((a, c) => a + c[k], 0);

  /** A worker's init: the cap on connects in flight split so the workers' shares add up to it (at least 1 each). */
  private workerInit(id: number): WorkerInit {
    const inFlightCap = Math.max(1, splitEven(this.plan.worker.inFlightCap, this.plan.workers)[id]!);
    return { ...this.plan.worker, inFlightCap, workerId: id, workers: this.plan.workers };
  }

  private startClock(lag: ReturnType<typeof monitorEventLoopDelay>): NodeJS.Timeout[] {
    const s = this.plan.schedule;
    const timers: NodeJS.Timeout[] = [];
    if (s.kind === 'open') {
      const it = s.offsets();
      let next = it.next();
      const tick = (): void => {
        if (this.stopping) return;
        const horizon = epochNow() - this.t0 + LOOKAHEAD_MS;
        const batches = Array.from({ length: this.plan.workers }, () => ({
          devices: [] as number[],
          intended: [] as number[],
        }));
        while (!next.done && next.value <= horizon) {
          const k = this.dispatched++;
          const device = k % this.plan.worker.deviceCount;
          const b = batches[device % this.plan.workers]!;
          b.devices.push(device);
          b.intended.push(this.t0 + next.value);
          next = it.next();
        }
        this.plan.policy?.take(epochNow() + LOOKAHEAD_MS, (device, at) => {
          const b = batches[device % this.plan.workers]!;
          b.devices.push(device);
          b.intended.push(at);
        });
        batches.forEach((b, i) => {
          if (b.devices.length === 0) return;
          this.dispatch(i, Int32Array.from(b.devices), Float64Array.from(b.intended));
        });
        if (next.done) this.scheduleDone = true;
      };
      tick();
      timers.push(setInterval(tick, TICK_MS));
    } else {
      const per = splitEven(s.concurrency, this.plan.workers);
      const attempts = s.total === undefined ? undefined : splitEven(s.total, this.plan.workers);
      per.forEach((n, i) => {
        // counted as one thing handed out: a report from before the worker took it cannot end the run
        this.dispatchedTo[i] = (this.dispatchedTo[i] ?? 0) + 1;
        this.pool.post(i, {
          type: 'closed',
          concurrency: Math.max(1, n),
          maxAttempts: attempts?.[i],
          cycle: this.plan.worker.holdMs === 0,
        });
      });
      this.scheduleDone = true;
      if (s.durationMs !== undefined) timers.push(setTimeout(() => this.stop(true), s.durationMs));
    }
    if (this.plan.endAfterMs !== undefined)
      timers.push(setTimeout(() => this.stop(true), Math.max(0, this.t0 + this.plan.endAfterMs - epochNow())));
    timers.push(
      setInterval(() => {
        this.rssPeak = Math.max(this.rssPeak, this.generatorRss());
        this.hooks.onTick?.(this.state(lagMs(lag.percentile(99))));
        this.maybeFinish();
      }, 1000),
    );
    return timers;
  }

  private state(coordinatorLagP99Ms: number): EngineState {
    let inFlight = 0;
    let queued = 0;
    let held = 0;
    for (const r of this.last) {
      inFlight += r?.inFlight ?? 0;
      queued += r?.queued ?? 0;
      held += r?.held ?? 0;
    }
    return {
      t0: this.t0,
      dispatched: this.dispatched,
      scheduleDone: this.scheduleDone,
      inFlight,
      queued,
      held,
      lagP99Ms: this.last.map((r) => r?.lagP99Ms ?? 0),
      coordinatorLagP99Ms,
    };
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'fatal') {
      this.rejectDone?.(fatalError(m));
      return;
    }
    if (m.type === 'ready' && m.pid !== process.pid)
      this.children.set(m.pid, { cpuMs: m.processCpuMs, rss: m.rssBytes });
    if (m.type !== 'report') return;
    this.last[m.workerId] = m;
    for (const [i, c] of m.delta.messages?.streams ?? []) this.published[i] = (this.published[i] ?? 0) + c.published;
    if (!this.stopping) this.clients?.devices(m.connected, m.dropped);
    if (m.pid !== process.pid) this.children.set(m.pid, { cpuMs: m.processCpuMs, rss: m.rssBytes });
    this.runLag[m.workerId] = m.lagRunP99Ms;
    this.runLagMean[m.workerId] = m.lagRunMeanMs;
    this.footprint.report(epochNow(), m.delta.attempts, this.state(0).held);
    if (this.footprint.ramping && this.scheduleDone && this.settled()) this.footprint.endRamp(epochNow());
    // what happened to single devices, each with its time: the policy counts from there
    const policy = this.plan.policy;
    if (policy && !this.stopping) {
      if (policy.onConnected) m.connected.devices.forEach((d, i) => policy.onConnected!(d, m.connected.at[i]!));
      if (policy.onFailed) m.failed.devices.forEach((d, i) => policy.onFailed!(d, m.failed.at[i]!));
      if (policy.onDropped) m.dropped.devices.forEach((d, i) => policy.onDropped!(d, m.dropped.at[i]!));
    }
    this.hooks.onReport?.(m);
    if (m.final) {
      this.finals++;
      if (this.finals === this.plan.workers) this.resolveDone?.();
    } else {
      this.maybeFinish();
    }
  }

  /**
   * Once the schedule is done, the policy decides whether the run goes on; without one (or
   * when it says `quiet`) the run finishes when every worker has received all it was handed
   * and nothing is queued, in flight or held any more.
   */
  private maybeFinish(): void {
    if (this.stopping || !this.scheduleDone) return;
    const settled = this.settled();
    const next = this.plan.policy?.advance(epochNow(), settled, this.ops) ?? 'quiet';
    if (next === 'stop') return this.stop(true);
    if (next === 'wait' || this.plan.worker.holdMs === Infinity) return;
    if (this.plan.schedule.kind === 'closed' && this.plan.schedule.total === undefined) return;
    const quiet = settled && this.last.every((r) => r !== undefined && r.held === 0 && r.idle);
    if (quiet) this.stop(true);
  }

  /** Every worker has received all it was handed, and nothing is queued or in flight. */
  private settled(): boolean {
    return this.last.every(
      (r, i) => r !== undefined && r.received === (this.dispatchedTo[i] ?? 0) && r.inFlight === 0 && r.queued === 0,
    );
  }

  private readonly dispatchedTo: number[] = [];

  private readonly ops = {
    cutAll: (): void => this.pool.broadcast({ type: 'drop' }),
    fail: (e: Error): void => this.rejectDone?.(e),
  };

  /** The end, in order: controllers stop and drain, then the devices stop (the subscribers drain after them). */
  private stop(graceful: boolean): void {
    if (this.stopping) return;
    this.stopping = true;
    this.footprint.endHold(epochNow());
    const devices = (): void => this.pool.broadcast({ type: 'stop', graceful });
    if (graceful && this.clients?.controllers) this.clients.stopControllers().then(devices, devices);
    else devices();
  }

  private dispatch(worker: number, devices: Int32Array, intended: Float64Array): void {
    this.dispatchedTo[worker] = (this.dispatchedTo[worker] ?? 0) + devices.length;
    this.pool.post(worker, { type: 'arrivals', devices, intended }, [
      devices.buffer as ArrayBuffer,
      intended.buffer as ArrayBuffer,
    ]);
  }
}

/** n split into k near-equal integer parts. */
export function splitEven(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  return Array.from({ length: k }, (_, i) => base + (i < n % k ? 1 : 0));
}
