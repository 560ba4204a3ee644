/**
 * Where a connection worker runs: a thread of this process, or a thread of a generator
 * child process (one process holds at most ~19,900 sockets under a 20,000 open-files
 * limit). The coordinator talks to both the same way.
 */
import { Worker } from 'node:worker_threads';
import { fork, type ChildProcess } from 'node:child_process';
import { childExecArgv, workerFile } from '../util/paths.js';
import type { FromWorker, ToWorker } from './protocol.js';

export interface WorkerEndpoint {
  post(m: ToWorker, transfer?: ArrayBuffer[]): void;
  onMessage(cb: (m: FromWorker) => void): void;
  onError(cb: (e: Error) => void): void;
  onExit(cb: (code: number | null) => void): void;
  terminate(): Promise<void>;
}

export function threadEndpoint(): WorkerEndpoint {
  const w = new Worker(workerFile('connections'), { execArgv: childExecArgv() });
  return {
    post: (m, transfer) => w.postMessage(m, transfer ?? []),
    onMessage: (cb) => w.on('message', cb),
    onError: (cb) => w.on('error', cb),
    onExit: (cb) => w.on('exit', cb),
    terminate: async () => {
      await w.terminate();
    },
  };
}

/** Messages between the coordinator and a generator process: a local worker id and its message. */
export type ToGenerator = { id: number; m: ToWorker } | { spawn: number };
export type FromGenerator =
  { id: number; m: FromWorker } | { id: number; error: string } | { id: number; exit: number | null };

/** A generator child process hosting several connection worker threads. */
export class GeneratorProcess {
  private readonly child: ChildProcess;
  private readonly handlers = new Map<
    number,
    { message?: (m: FromWorker) => void; error?: (e: Error) => void; exit?: (c: number | null) => void }
  >();
  private exited = false;

  constructor() {
    // 'advanced' serialization carries typed arrays across the IPC channel
    this.child = fork(workerFile('generator'), [], {
      serialization: 'advanced',
      execArgv: childExecArgv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (msg: FromGenerator) => {
      const h = this.handlers.get(msg.id);
      if ('m' in msg) h?.message?.(msg.m);
      else if ('error' in msg) h?.error?.(new Error(msg.error));
      else h?.exit?.(msg.exit);
    });
    this.child.on('exit', (code) => {
      this.exited = true;
      for (const h of this.handlers.values()) h.exit?.(code);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  endpoint(id: number): WorkerEndpoint {
    const h: { message?: (m: FromWorker) => void; error?: (e: Error) => void; exit?: (c: number | null) => void } = {};
    this.handlers.set(id, h);
    this.send({ spawn: id });
    return {
      post: (m) => this.send({ id, m }),
      onMessage: (cb) => (h.message = cb),
      onError: (cb) => (h.error = cb),
      onExit: (cb) => (h.exit = cb),
      terminate: () => this.close(),
    };
  }

  private send(msg: ToGenerator): void {
    if (!this.exited) this.child.send(msg);
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.disconnect();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
    await gone;
    clearTimeout(t);
  }
}
