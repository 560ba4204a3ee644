/**
 * The client worker: one thread running a run's extra clients with MQTT.js — subscribers
 * and controllers, each over mTLS with its own certificate. It connects them all (and has
 * their SUBACKs) before saying ready, then records what they receive and send into one
 * MessageRecorder, drained to the coordinator like the connection workers' deltas.
 */
import type { MessagePort } from 'node:worker_threads';
import type { MqttClient } from 'mqtt';
import { epochNow } from '../../util/clock.js';
import { openStore } from '../../pki/index.js';
import { MessageRecorder, SeqTracker, messageTransferList } from '../../metrics/messages.js';
import { ClientFailure, connectClient, subscribeClient } from './connect.js';
import { attachSubscriber, type DeliverySink } from './subscriber.js';
import { CommandStream } from './controller.js';
import type { ClientsInit, ControllerSpec, FromClients, ToClients } from './protocol.js';

/** The subscribers' drain: at most this long, and over after this long with nothing new. */
export const DRAIN_MAX_MS = 10_000;
export const DRAIN_QUIET_MS = 1000;
const POLL_MS = 20;

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when `done()`, or after `quietMs` with `lastAt()` unchanged, or after `maxMs`. */
async function settle(done: () => boolean, lastAt: () => number, quietMs: number, maxMs: number): Promise<void> {
  const t0 = epochNow();
  let last = lastAt();
  let quietSince = t0;
  while (!done()) {
    const now = epochNow();
    if (lastAt() !== last) {
      last = lastAt();
      quietSince = now;
    }
    if (now - quietSince >= quietMs || now - t0 >= maxMs) return;
    await wait(POLL_MS);
  }
}

export class ClientWorker {
  private readonly sink: DeliverySink = { rec: new MessageRecorder(), unique: [], lastAt: 0 };
  private readonly clients: { id: string; client: MqttClient }[] = [];
  private readonly commands: CommandStream[] = [];
  private reporter: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(
    private readonly init: ClientsInit,
    private readonly port: Pick<MessagePort, 'postMessage'>,
  ) {}

  private send(m: FromClients): void {
    this.port.postMessage(m);
  }

  async start(): Promise<void> {
    const t0 = epochNow();
    const { init } = this;
    const store = openStore(init.storePath);
    const env = {
      rec: this.sink.rec,
      mqttVersion: init.mqttVersion,
      vars: (d: number) => ({
        id: store.deviceId(init.deviceStart + d),
        i: init.deviceStart + d,
        shard: init.shard,
        stream: '',
      }),
      index: (d: number) => init.deviceStart + d,
    };
    // subscribers of one shared subscription are one receiver: one tracker for the group
    const trackers = new Map<string, SeqTracker>();
    const counted = init.streams.map((_, i) => (init.receivers[i] ?? 0) > 0);
    const byStream = new Map<number, { spec: ControllerSpec; clients: MqttClient[] }>();
    try {
      await Promise.all(
        init.clients.map(async (spec, i) => {
          const target = init.targets[i % init.targets.length]!;
          const client = await connectClient(spec, init, target);
          this.clients.push({ id: spec.id, client });
          if (spec.role === 'subscriber') {
            const key = spec.filter.startsWith('$share/') ? `${spec.stream}` : spec.id;
            let tracker = trackers.get(key);
            if (tracker === undefined) trackers.set(key, (tracker = new SeqTracker()));
            attachSubscriber(client, tracker, counted, this.sink);
            await subscribeClient(client, spec.id, spec.filter, spec.qos, init.subscribeTimeoutMs);
          } else {
            const s = byStream.get(spec.stream) ?? { spec, clients: [] };
            s.clients[spec.n] = client;
            byStream.set(spec.stream, s);
            await subscribeClient(
              client,
              spec.id,
              CommandStream.responseFilter(spec),
              spec.qos,
              init.subscribeTimeoutMs,
            );
          }
          let why = '';
          client.on('error', (e) => (why = `: ${(e as { code?: string }).code ?? e.message}`));
          client.on('close', () => {
            if (!this.closing)
              this.send({
                type: 'warning',
                message: `${spec.id} lost its connection to ${target.host}:${target.port}${why}; what it misses counts as lost`,
              });
          });
        }),
      );
    } catch (e) {
      for (const { client } of this.clients) client.end(true);
      const message = e instanceof ClientFailure ? e.message : String((e as Error).message ?? e);
      this.send({ type: 'fatal', message, code: e instanceof ClientFailure ? 'HERD_CLIENT' : undefined });
      return;
    }
    for (const [stream, s] of byStream) {
      const name = init.streams[stream] ?? '';
      const c = new CommandStream(s.spec, s.clients, { ...env, vars: (d) => ({ ...env.vars(d), stream: name }) });
      this.commands.push(c);
      c.run();
    }
    this.reporter = setInterval(() => this.report(), init.reportMs);
    this.send({ type: 'ready', clients: this.clients.length, prepMs: epochNow() - t0 });
  }

  private report(): void {
    const d = this.sink.rec.drain();
    if (d.streams.length + d.publishAck.length + d.delivery.length === 0 && d.commandRtt === null) return;
    this.port.postMessage({ type: 'report', delta: d, at: Date.now() } satisfies FromClients, messageTransferList(d));
  }

  async onMessage(m: ToClients): Promise<void> {
    switch (m.type) {
      case 'devices': {
        const now = epochNow();
        const { holdMs, persistent } = this.init;
        for (const c of this.commands) {
          m.connected.devices.forEach((d, i) => {
            const until = persistent ? Infinity : m.connected.at[i]! + holdMs - 1000;
            if (until > now) c.targets.add(d, until);
          });
          if (!persistent) for (const d of m.dropped) c.targets.remove(d);
        }
        return;
      }
      case 'stop-controllers': {
        for (const c of this.commands) c.stop();
        const last = (): number => Math.max(0, ...this.commands.map((c) => c.lastResponseAt));
        await settle(() => this.commands.every((c) => c.outstanding === 0), last, DRAIN_QUIET_MS, DRAIN_MAX_MS);
        this.report();
        this.send({
          type: 'controllers-stopped',
          outstanding: this.commands.reduce((a, c) => a + c.outstanding, 0),
          skipped: this.commands.reduce((a, c) => a + c.skipped, 0),
        });
        return;
      }
      case 'drain': {
        const expected = m.published.map((p, i) => p * (this.init.receivers[i] ?? 0));
        const missing = (): number => expected.reduce((a, e, i) => a + Math.max(0, e - (this.sink.unique[i] ?? 0)), 0);
        await settle(
          () => missing() === 0,
          () => this.sink.lastAt,
          DRAIN_QUIET_MS,
          DRAIN_MAX_MS,
        );
        this.report();
        this.send({ type: 'drained', missing: missing() });
        return;
      }
      case 'close': {
        this.closing = true;
        for (const c of this.commands) c.stop();
        clearInterval(this.reporter);
        await Promise.all(this.clients.map(({ client }) => client.endAsync().catch(() => undefined)));
        this.report();
        this.send({ type: 'closed' });
        return;
      }
      case 'init':
        return;
    }
  }
}
