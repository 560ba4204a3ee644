/** Worker entry point: a connection worker (see src/engine/worker.ts). */
import { parentPort } from 'node:worker_threads';
import { ConnectionWorker } from '../src/engine/worker.js';
import type { FromWorker, ToWorker } from '../src/engine/protocol.js';

const port = parentPort;
if (!port) throw new Error('workers/connections must run in a worker thread');
let worker: ConnectionWorker | undefined;
let workerId = -1;
port.on('message', (m: ToWorker) => {
  try {
    if (m.type === 'init') {
      workerId = m.init.workerId;
      worker = new ConnectionWorker(m.init, port);
      worker.start();
    } else {
      worker?.onMessage(m);
    }
  } catch (e) {
    const err = e as { message?: string; code?: string };
    const msg: FromWorker = {
      type: 'fatal',
      workerId,
      message: err.message ?? String(e),
      code: typeof err.code === 'string' && err.code.startsWith('HERD_') ? err.code : undefined,
    };
    port.postMessage(msg);
  }
});
