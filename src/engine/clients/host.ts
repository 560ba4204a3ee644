/**
 * The coordinator's side of the client worker: starts the thread, waits until every extra
 * client is connected and subscribed, passes the devices to the controllers and runs the
 * end of a run in order (controllers stop and drain, then — after the devices — the
 * subscribers drain, then all disconnect).
 */
import { Worker } from 'node:worker_threads';
import { ExitCode, HerdError } from '../../errors.js';
import { childExecArgv, workerFile } from '../../util/paths.js';
import type { MessageDelta } from '../../metrics/messages.js';
import type { TimedDevices } from '../protocol.js';
import type { ClientsInit, FromClients, ToClients } from './protocol.js';

export interface ClientHostEvents {
  onDelta(d: MessageDelta, at: number): void;
  onWarning(message: string): void;
  /** the worker failed after it was ready */
  onFailure(e: Error): void;
}

type Reply = Extract<FromClients, { type: 'controllers-stopped' | 'drained' | 'closed' }>;

export class ClientHost {
  private worker: Worker | undefined;
  private readonly waiting = new Map<Reply['type'], { resolve: (m: Reply) => void; reject: (e: Error) => void }>();
  private done = false;

  constructor(
    private readonly init: ClientsInit,
    private readonly events: ClientHostEvents,
  ) {}

  get controllers(): boolean {
    return this.init.clients.some((c) => c.role === 'controller');
  }

  /** Resolves once every client has its SUBACK; a client that cannot connect rejects (exit 2, naming it). */
  start(): Promise<void> {
    const w = new Worker(workerFile('clients'), { execArgv: childExecArgv() });
    this.worker = w;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const fail = (e: Error): void => {
        if (this.done) return;
        this.done = true;
        for (const w of this.waiting.values()) w.reject(e);
        this.waiting.clear();
        if (ready) this.events.onFailure(e);
        else reject(e);
        void w.terminate();
      };
      w.on('message', (m: FromClients) => {
        switch (m.type) {
          case 'ready':
            ready = true;
            return resolve();
          case 'report':
            return this.events.onDelta(m.delta, m.at);
          case 'warning':
            return this.events.onWarning(m.message);
          case 'fatal':
            return fail(
              new HerdError(
                m.code ?? 'HERD_CLIENT_WORKER',
                `traffic client: ${m.message}`,
                m.code === undefined ? ExitCode.internal : ExitCode.usage,
              ),
            );
          default:
            this.waiting.get(m.type)?.resolve(m);
            this.waiting.delete(m.type);
        }
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!this.done)
          fail(new HerdError('HERD_CLIENT_WORKER', `the client worker exited with code ${code}`, ExitCode.internal));
      });
      this.post({ type: 'init', init: this.init });
    });
  }

  private post(m: ToClients): void {
    this.worker?.postMessage(m);
  }

  private ask<T extends Reply['type']>(m: ToClients, reply: T): Promise<Extract<Reply, { type: T }>> {
    if (this.done || this.worker === undefined) return Promise.reject(new Error('the client worker has ended'));
    return new Promise((resolve, reject) => {
      this.waiting.set(reply, { resolve: (r) => resolve(r as Extract<Reply, { type: T }>), reject });
      this.post(m);
    });
  }

  /** Devices that connected and dropped (local indexes), for the controllers' targets. */
  devices(connected: TimedDevices, dropped: TimedDevices): void {
    if (this.done || !this.controllers || (connected.devices.length === 0 && dropped.devices.length === 0)) return;
    this.post({ type: 'devices', connected, dropped: dropped.devices });
  }

  /** Controllers stop sending and wait for their responses; resolves with the ones still missing. */
  async stopControllers(): Promise<number> {
    if (!this.controllers || this.done) return 0;
    const r = await this.ask({ type: 'stop-controllers' }, 'controllers-stopped');
    if (r.skipped > 0)
      this.events.onWarning(
        `${r.skipped} command(s) were due while no device could take one (held, with more than 1 s of its hold left): not sent`,
      );
    return r.outstanding;
  }

  /** Subscribers wait for what was published (per stream index); resolves with the deliveries still missing. */
  async drain(published: readonly number[]): Promise<number> {
    if (this.done) return 0;
    return (await this.ask({ type: 'drain', published: [...published] }, 'drained')).missing;
  }

  /** Disconnects every client (their last deltas first), then ends the thread. */
  async close(): Promise<void> {
    if (this.worker === undefined) return;
    if (!this.done) {
      await this.ask({ type: 'close' }, 'closed');
      this.done = true;
    }
    await this.worker.terminate();
  }

  /** Ends the thread at once (the run failed). */
  async terminate(): Promise<void> {
    this.done = true;
    await this.worker?.terminate();
  }
}
