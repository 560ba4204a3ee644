/** Worker entry point: the embedded broker in a thread of its own (see src/engine/embedded-broker.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { startBroker, type BrokerOptions } from '../src/broker/broker.js';

const port = parentPort;
if (!port) throw new Error('workers/broker must run in a worker thread');
const broker = await startBroker(workerData as BrokerOptions);
port.postMessage({ type: 'listening', host: broker.host, port: broker.port });
port.on('message', (m: { type: 'restart'; downMs: number } | { type: 'close' } | { type: 'stats' }) => {
  if (m.type === 'restart') void broker.restart(m.downMs).then(() => port.postMessage({ type: 'restarted' }));
  else if (m.type === 'stats') port.postMessage({ type: 'stats', stats: broker.stats() });
  else void broker.close().then(() => port.postMessage({ type: 'closed' }));
});
