/**
 * The Prometheus exporter of a run (`--metrics-port P`, path /metrics; `--push URL`).
 *
 * One non-global Registry holds exactly the contract's herd_* families plus prom-client's
 * default process metrics. Nothing is counted here: every value is computed at scrape
 * time from the coordinator's Aggregator (counters from its cumulative counts, histograms
 * from its merged HDR histograms), so the exporter always agrees with summary.json and
 * costs nothing per connection. No label carries a device: the series count depends on
 * phases, failure reasons, faults and workers, never on the number of devices.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { lagMs, LAG_RESOLUTION_MS } from '../util/clock.js';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { UsageError } from '../errors.js';
import type { Aggregator } from './aggregate.js';
import { createHistogram, HDR_HIGHEST_US, type Hdr } from './hdr.js';
import { METRIC, PHASES } from '../model/names.js';
import { MESSAGE_METRIC, type Qos } from '../model/messages.js';
import { LIVE_LOSS_GRACE_MS, type StreamPlan } from './messages.js';
import { HdrHistogramMetric, type HdrSeries } from './prom-hdr-histogram.js';
import { checkPushUrl, pushInstance, pushRegistry } from './prom-push.js';

/** The phases of herd_phase_duration_seconds (`connect` has its own family). */
const EXPORTED_PHASES = PHASES.filter((p) => p !== 'connect');

export interface RunInfo {
  runId: string;
  scenario: string;
  shard: number;
}

/** prom-client defaults that break the naming rules: sums of the nodejs_active_* gauges. */
const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** `worker` label of the coordinator's own (main thread) event-loop lag. */
const COORDINATOR_WORKER = 'coordinator';

export class HerdExporter {
  readonly registry = new Registry();
  readonly #info: RunInfo;
  #agg: Aggregator | undefined;
  #streams: readonly StreamPlan[] = [];
  readonly #empty: Hdr = createHistogram('cumulative');
  readonly #mintHdr: Hdr = createHistogram('cumulative');
  #minted = 0;
  readonly #workerLagS = new Map<number, number>();
  readonly #coordinatorLag: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  #server: Server | undefined;
  #url: string | undefined;

  constructor(info: RunInfo) {
    this.#info = info;
    this.#coordinatorLag.enable();
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters (promtool rejects them); nodejs_active_* by type remain.
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    this.#defineConnects();
    this.#defineGenerator();
    this.#defineMessages();
  }

  /**
   * From now on values come from this aggregator (before it, the herd_* families read 0);
   * `streams`: the run's traffic streams, in order (their names and QoS label the series).
   */
  attach(agg: Aggregator, streams: readonly StreamPlan[] = []): void {
    this.#agg = agg;
    this.#streams = streams;
  }

  /** A connection worker's event-loop lag p99 over its last report interval. */
  workerLag(workerId: number, lagP99Ms: number): void {
    this.#workerLagS.set(workerId, lagP99Ms / 1000);
  }

  /** `certs` certificates were minted, taking `secondsEach` seconds each. */
  observeMint(certs: number, secondsEach: number): void {
    if (certs <= 0) return;
    this.#minted += certs;
    const micros = Math.min(HDR_HIGHEST_US, Math.max(0, Math.round(secondsEach * 1e6)));
    this.#mintHdr.recordValueWithCount(micros, certs);
  }

  /**
   * A mint progress callback (cumulative `done` and `seconds`): the certificates written
   * since the previous call took that wall time on `threads` minting threads, so each took
   * about wall × threads / certificates.
   */
  mintProgress(threads: number): (p: { done: number; seconds: number }) => void {
    let done = 0;
    let seconds = 0;
    return (p) => {
      const certs = p.done - done;
      if (certs <= 0) return;
      this.observeMint(certs, ((p.seconds - seconds) * threads) / certs);
      done = p.done;
      seconds = p.seconds;
    };
  }

  /** The exposition text, as served on /metrics. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Serves /metrics on `port` (0: any free port). Resolves with the URL once listening. */
  async listen(port: number, host?: string): Promise<string> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      } else if (path === '/metrics') {
        this.metrics().then(
          (body) =>
            res
              .writeHead(200, { 'Content-Type': this.registry.contentType })
              .end(req.method === 'HEAD' ? undefined : body),
          (e: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(e as Error).message}\n`),
        );
      } else if (path === '/') {
        res
          .writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
          .end(`mqtt-herd run ${this.#info.runId}: metrics at /metrics\n`);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      }
    });
    // Never the reason the process stays up: the run, or the linger timer, decides that.
    server.on('connection', (s) => s.unref());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') reject(new UsageError(`port ${port} is already in use`, '--metrics-port'));
        else if (e.code === 'EACCES') reject(new UsageError(`not allowed to listen on port ${port}`, '--metrics-port'));
        else reject(e);
      });
      server.listen(port, host, () => resolve());
    });
    server.unref();
    this.#server = server;
    const addr = server.address() as AddressInfo;
    this.#url = `http://${host ?? 'localhost'}:${addr.port}/metrics`;
    return this.#url;
  }

  /** The /metrics URL once listening. */
  get url(): string | undefined {
    return this.#url;
  }

  /** Pushes the current values to a Pushgateway (PUT: replaces this shard's group). */
  async push(url: string): Promise<void> {
    await pushRegistry(this.registry, checkPushUrl(url), pushInstance(this.#info.scenario, this.#info.shard));
  }

  async close(): Promise<void> {
    this.#coordinatorLag.disable();
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Connects: the phase and end-to-end histograms, attempts, established, failures, drops, unexpected accepts. */
  #defineConnects(): void {
    const r = this.registry;
    const agg = (): Aggregator | undefined => this.#agg;
    const hist = (phase: (typeof PHASES)[number]): Hdr => this.#agg?.histogram(phase) ?? this.#empty;
    new HdrHistogramMetric(
      METRIC.phaseDuration,
      'Duration of each connect phase (tcp, tls, connack, subscribe), seconds, all workers',
      ['phase'],
      () => EXPORTED_PHASES.map((phase): HdrSeries => ({ labels: { phase }, hdr: hist(phase) })),
    ).registerIn(r);
    new HdrHistogramMetric(
      METRIC.connectDuration,
      'End-to-end connect duration from the intended start (no coordinated omission), seconds',
      [],
      () => [{ labels: {}, hdr: hist('connect') }],
    ).registerIn(r);
    counter(r, METRIC.connectAttempts, 'Connection attempts started', [], (c) => c.inc(agg()?.counts().attempted ?? 0));
    counter(r, METRIC.established, 'Connections established (CONNACK, and SUBACK when subscribing)', [], (c) =>
      c.inc(agg()?.counts().connected ?? 0),
    );
    counter(
      r,
      METRIC.connectFailures,
      'Failed attempts and dropped connections by phase and reason',
      ['phase', 'reason'],
      (c) => {
        for (const f of agg()?.failures() ?? []) c.inc({ phase: f.phase, reason: f.reason }, f.count);
      },
    );
    counter(
      r,
      METRIC.sessionDrops,
      'Established sessions the broker ended before the run did, by reason',
      ['reason'],
      (c) => {
        for (const f of agg()?.failures() ?? []) if (f.phase === 'session') c.inc({ reason: f.reason }, f.count);
      },
    );
    counter(
      r,
      METRIC.unexpectedAccepts,
      'Devices with a faulty credential that the broker accepted (must be 0)',
      ['fault'],
      (c) => {
        for (const s of agg()?.security() ?? []) c.inc({ fault: s.fault }, s.accepted);
      },
    );
  }

  /** The run's own state and the generator's health: open connections, minting, event-loop lag, run info. */
  #defineGenerator(): void {
    const r = this.registry;
    const agg = (): Aggregator | undefined => this.#agg;
    new Gauge({
      name: METRIC.active,
      help: 'Connections open now, all workers',
      registers: [r],
      collect() {
        this.set(agg()?.active ?? 0);
      },
    });
    const minted = (): number => this.#minted;
    counter(r, METRIC.certsMinted, 'Device certificates minted by this run', [], (c) => c.inc(minted()));
    new HdrHistogramMetric(
      METRIC.certMintDuration,
      'Time to mint one device certificate (key, encode, sign) on one thread, seconds',
      [],
      () => [{ labels: {}, hdr: this.#mintHdr }],
    ).registerIn(r);
    const workerLag = this.#workerLagS;
    const coordinator = this.#coordinatorLag;
    new Gauge({
      name: METRIC.eventLoopLag,
      help: 'Event-loop lag p99 of each connection worker and of the coordinator, seconds, over the last interval',
      labelNames: ['worker'],
      registers: [r],
      collect() {
        this.reset();
        for (const [id, s] of [...workerLag].sort(([a], [b]) => a - b)) this.set({ worker: String(id) }, s);
        this.set({ worker: COORDINATOR_WORKER }, coordinator.count > 0 ? lagMs(coordinator.percentile(99)) / 1000 : 0);
        coordinator.reset();
      },
    });
    const info = this.#info;
    new Gauge({
      name: METRIC.runInfo,
      help: 'Always 1: the run id, scenario and shard of this generator, to join on (job, instance)',
      labelNames: ['run_id', 'scenario', 'shard'],
      registers: [r],
      collect() {
        this.reset();
        this.set({ run_id: info.runId, scenario: info.scenario, shard: String(info.shard) }, 1);
      },
    });
  }

  /** Traffic: messages per stream, their latencies and bytes (no series until a run has traffic). */
  #defineMessages(): void {
    const r = this.registry;
    const totals = (): Aggregator['messages'] | undefined => this.#agg?.messages;
    const each = (f: (i: number, p: StreamPlan, t: Aggregator['messages']) => void): void => {
      const t = totals();
      if (t !== undefined) this.#streams.forEach((p, i) => f(i, p, t));
    };
    const count = (i: number, t: Aggregator['messages']) => t.streams.get(i);
    counter(r, MESSAGE_METRIC.published, 'Messages published (written), by stream and QoS', ['stream', 'qos'], (c) =>
      each((i, p, t) => c.inc({ stream: p.name, qos: String(p.qos) }, count(i, t)?.published ?? 0)),
    );
    counter(
      r,
      MESSAGE_METRIC.received,
      'Messages received by subscribers, controllers and devices, by stream',
      ['stream'],
      (c) => each((i, p, t) => c.inc({ stream: p.name }, count(i, t)?.delivered ?? 0)),
    );
    counter(
      r,
      MESSAGE_METRIC.lost,
      `Expected deliveries not received, by stream: counted once a message is ${LIVE_LOSS_GRACE_MS / 1000}s old, exact when the run ends`,
      ['stream'],
      (c) => each((i, p, t) => c.inc({ stream: p.name }, t.lost(i, p.receivers, this.#agg?.now()))),
    );
    counter(
      r,
      MESSAGE_METRIC.duplicated,
      'Deliveries received again by the same receiver, by stream',
      ['stream'],
      (c) => each((i, p, t) => c.inc({ stream: p.name }, count(i, t)?.duplicated ?? 0)),
    );
    counter(r, MESSAGE_METRIC.bytes, 'Payload bytes published (out) and received (in)', ['direction'], (c) => {
      let out = 0;
      let inn = 0;
      each((i, _p, t) => {
        out += count(i, t)?.bytesOut ?? 0;
        inn += count(i, t)?.bytesIn ?? 0;
      });
      if (this.#streams.length > 0) {
        c.inc({ direction: 'out' }, out);
        c.inc({ direction: 'in' }, inn);
      }
    });
    new HdrHistogramMetric(
      MESSAGE_METRIC.publishAck,
      'PUBLISH to PUBACK (QoS 1) or PUBCOMP (QoS 2), from the intended send time, seconds',
      ['qos'],
      () =>
        [...(totals()?.publishAck ?? [])]
          .sort(([a], [b]) => a - b)
          .map(([qos, hdr]: [Qos, Hdr]): HdrSeries => ({ labels: { qos: String(qos) }, hdr })),
    ).registerIn(r);
    new HdrHistogramMetric(
      MESSAGE_METRIC.delivery,
      'Intended send time to receipt, by stream, seconds',
      ['stream'],
      () =>
        this.#streams.flatMap((p, i): HdrSeries[] => {
          const hdr = totals()?.delivery.get(i);
          return hdr === undefined ? [] : [{ labels: { stream: p.name }, hdr }];
        }),
    ).registerIn(r);
    new HdrHistogramMetric(
      MESSAGE_METRIC.commandRtt,
      'Command sent (intended time) to its response received by the controller, seconds',
      [],
      () => {
        const hdr = totals()?.commandRtt;
        return hdr === undefined || hdr.totalCount === 0 ? [] : [{ labels: {}, hdr }];
      },
    ).registerIn(r);
  }
}

/** A counter whose value is computed at scrape time (reset, then set through inc). */
function counter(
  r: Registry,
  name: string,
  help: string,
  labelNames: string[],
  fill: (c: Counter<string>) => void,
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [r],
    collect() {
      this.reset();
      fill(this);
    },
  });
}

/**
 * Starts the exporter a run asked for (`--metrics-port` and/or `--push`), before anything
 * else, so minting shows. Resolves undefined when neither was asked for.
 */
export async function startExporter(
  o: { metricsPort: number | undefined; push: string | undefined; host?: string },
  info: RunInfo,
): Promise<HerdExporter | undefined> {
  if (o.metricsPort === undefined && o.push === undefined) return undefined;
  if (o.push !== undefined) checkPushUrl(o.push);
  const e = new HerdExporter(info);
  if (o.metricsPort !== undefined) {
    try {
      await e.listen(o.metricsPort, o.host);
    } catch (err) {
      await e.close();
      throw err;
    }
  }
  return e;
}
