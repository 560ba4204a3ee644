/**
 * The connection workers of a run: threads of this process, or threads of generator child
 * processes when one process cannot hold the sockets. Starts them, waits until each is
 * ready, delivers messages, and ends them.
 */
import { HerdError, ExitCode } from '../errors.js';
import { GeneratorProcess, threadEndpoint, type WorkerEndpoint } from './endpoint.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

export function fatalError(m: Extract<FromWorker, { type: 'fatal' }>): HerdError {
  return new HerdError(
    m.code ?? 'HERD_WORKER',
    `connection worker ${m.workerId}: ${m.message}`,
    m.code ? ExitCode.usage : ExitCode.internal,
  );
}

export interface PoolEvents {
  /** every message, `ready` included */
  onMessage(m: FromWorker): void;
  /** a worker failed or exited when it should not have */
  onFailure(e: Error): void;
  /** true once the run no longer needs its workers (their exit is then expected) */
  finished(): boolean;
}

export class WorkerPool {
  readonly endpoints: WorkerEndpoint[] = [];
  private readonly generators: GeneratorProcess[] = [];

  constructor(
    private readonly count: number,
    private readonly processes: number,
  ) {}

  get processCount(): number {
    return Math.max(1, this.generators.length);
  }

  /** Starts every worker with its init message; resolves when all are ready. */
  async start(init: (id: number) => WorkerInit, events: PoolEvents): Promise<void> {
    const remote = this.processes > 1;
    for (let p = 0; remote && p < this.processes; p++) this.generators.push(new GeneratorProcess());
    const ready: Promise<void>[] = [];
    for (let id = 0; id < this.count; id++) {
      const w = remote ? this.generators[id % this.generators.length]!.endpoint(id) : threadEndpoint();
      this.endpoints.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.onMessage((m: FromWorker) => {
            if (m.type === 'ready') {
              events.onMessage(m); // the process's CPU and memory before any connect
              return resolve();
            }
            if (m.type === 'fatal') reject(fatalError(m)); // before ready nothing else is listening
            events.onMessage(m);
          });
          w.onError((e) => {
            reject(e);
            events.onFailure(e);
          });
          w.onExit((code) => {
            if (events.finished()) return;
            const e = new HerdError(
              'HERD_WORKER_EXIT',
              `connection worker ${id} exited with code ${code}`,
              ExitCode.internal,
            );
            reject(e);
            events.onFailure(e);
          });
        }),
      );
      w.post({ type: 'init', init: init(id) });
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await this.terminate();
      throw e;
    }
  }

  post(id: number, m: ToWorker, transfer?: ArrayBuffer[]): void {
    this.endpoints[id]?.post(m, transfer);
  }

  broadcast(m: ToWorker): void {
    for (const w of this.endpoints) w.post(m);
  }

  async terminate(): Promise<void> {
    if (this.generators.length > 0) await Promise.all(this.generators.map((g) => g.close()));
    else await Promise.all(this.endpoints.map((w) => w.terminate().catch(() => undefined)));
  }
}
