/**
 * The embedded broker for `herd run` without a target, in a child process of its own: its
 * TLS handshakes do not run on the coordinator's schedule clock, and its CPU and sockets
 * are not counted as the generator's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { childExecArgv, workerFile } from '../util/paths.js';
import type { BrokerOptions, BrokerStats } from '../broker/broker.js';

export interface EmbeddedBroker {
  host: string;
  port: number;
  pid: number;
  stats(): Promise<BrokerStats>;
  restart(downMs: number): Promise<void>;
  close(): Promise<void>;
}

type Msg =
  | { type: 'listening'; host: string; port: number }
  | { type: 'error'; message: string }
  | { type: 'restarted' }
  | { type: 'closed' }
  | { type: 'stats'; stats: BrokerStats };

function next<T extends Msg['type']>(child: ChildProcess, type: T): Promise<Extract<Msg, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Msg): void => {
      if (m.type === 'error') {
        cleanup();
        reject(new Error(`embedded broker: ${m.message}`));
      } else if (m.type === type) {
        cleanup();
        resolve(m as Extract<Msg, { type: T }>);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`embedded broker exited (code ${code})`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startEmbeddedBroker(o: BrokerOptions): Promise<EmbeddedBroker> {
  const child = fork(workerFile('broker'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: childExecArgv(),
  });
  child.send({ type: 'start', options: o });
  let listening: Extract<Msg, { type: 'listening' }>;
  try {
    listening = await next(child, 'listening');
  } catch (e) {
    // it could not start (a bad certificate, key or CRL): end it, or it keeps this process alive
    if (child.connected) child.disconnect();
    child.kill();
    throw e;
  }
  return {
    host: listening.host,
    port: listening.port,
    pid: child.pid!,
    async stats() {
      child.send({ type: 'stats' });
      return (await next(child, 'stats')).stats;
    },
    async restart(downMs: number) {
      child.send({ type: 'restart', downMs });
      await next(child, 'restarted');
    },
    async close() {
      if (child.exitCode !== null || !child.connected) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.disconnect(); // the broker closes and exits
      const t = setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      await gone;
      clearTimeout(t);
    },
  };
}
