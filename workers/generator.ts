/**
 * A generator process: hosts connection worker threads for a coordinator in another
 * process and relays their messages over IPC. It ends when the coordinator disconnects.
 */
import { Worker } from 'node:worker_threads';
import { workerFile } from '../src/util/paths.js';
import type { FromGenerator, ToGenerator } from '../src/engine/endpoint.js';
import type { FromWorker } from '../src/engine/protocol.js';

if (!process.send) throw new Error('workers/generator must be forked with an IPC channel');
const send = (m: FromGenerator): void => {
  if (process.connected) process.send!(m);
};
const threads = new Map<number, Worker>();
const file = workerFile('connections');

process.on('message', (msg: ToGenerator) => {
  if ('spawn' in msg) {
    const id = msg.spawn;
    const w = new Worker(file);
    threads.set(id, w);
    w.on('message', (m: FromWorker) => send({ id, m }));
    w.on('error', (e) => send({ id, error: e.message }));
    w.on('exit', (code) => send({ id, exit: code }));
    return;
  }
  threads.get(msg.id)?.postMessage(msg.m);
});

// Ctrl-C reaches the whole process group: the coordinator owns shutdown (it stops the
// workers, gathers their last reports, then disconnects), so this process ignores it.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => undefined);

process.on('disconnect', () => {
  void Promise.all([...threads.values()].map((w) => w.terminate())).then(() => process.exit(0));
});
