/**
 * The embedded broker for `herd run` without a target, in a worker thread of its own so
 * its TLS handshakes do not run on the coordinator's schedule clock.
 */
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { workerFile } from '../paths.js';
import type { BrokerOptions, BrokerStats } from '../broker/broker.js';

export interface EmbeddedBroker {
  host: string;
  port: number;
  stats(): Promise<BrokerStats>;
  restart(downMs: number): Promise<void>;
  close(): Promise<void>;
}

type Msg = { type: 'listening'; host: string; port: number } | { type: 'restarted' } | { type: 'closed' } | { type: 'stats'; stats: BrokerStats };

export async function startEmbeddedBroker(o: BrokerOptions): Promise<EmbeddedBroker> {
  const w = new Worker(workerFile('broker'), { workerData: o });
  const next = async <T extends Msg['type']>(type: T): Promise<Extract<Msg, { type: T }>> => {
    for (;;) {
      const [m] = (await once(w, 'message')) as [Msg];
      if (m.type === type) return m as Extract<Msg, { type: T }>;
    }
  };
  const listening = await Promise.race([
    next('listening'),
    once(w, 'error').then(([e]) => {
      throw e;
    }),
  ]);
  return {
    host: listening.host,
    port: listening.port,
    async stats() {
      w.postMessage({ type: 'stats' });
      return (await next('stats')).stats;
    },
    async restart(downMs: number) {
      w.postMessage({ type: 'restart', downMs });
      await next('restarted');
    },
    async close() {
      w.postMessage({ type: 'close' });
      await Promise.race([next('closed'), new Promise((r) => setTimeout(r, 3000).unref())]);
      await w.terminate();
    },
  };
}
