/** Worker entry point: the traffic's extra clients, subscribers and controllers (see src/engine/clients/worker.ts). */
import { parentPort } from 'node:worker_threads';
import { ClientWorker } from '../src/engine/clients/worker.js';
import type { FromClients, ToClients } from '../src/engine/clients/protocol.js';

const port = parentPort;
if (!port) throw new Error('workers/clients must run in a worker thread');
let worker: ClientWorker | undefined;
const fatal = (e: unknown): void => {
  const m: FromClients = { type: 'fatal', message: (e as Error).message ?? String(e) };
  port.postMessage(m);
};
port.on('message', (m: ToClients) => {
  if (m.type === 'init') {
    worker = new ClientWorker(m.init, port);
    worker.start().catch(fatal);
  } else {
    worker?.onMessage(m).catch(fatal);
  }
});
