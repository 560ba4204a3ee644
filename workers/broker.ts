/**
 * The embedded broker in a process of its own (see src/engine/embedded-broker.ts): its TLS
 * work stays off the coordinator's clock and out of the generator's CPU and open-files
 * budget. It ends when its parent disconnects.
 */
import { startBroker, type BrokerOptions } from '../src/broker/broker.js';

type Msg =
  | { type: 'start'; options: BrokerOptions }
  | { type: 'restart'; downMs: number }
  | { type: 'close' }
  | { type: 'stats' };

if (!process.send) throw new Error('workers/broker must be forked with an IPC channel');
const send = (m: unknown): void => {
  if (process.connected) process.send!(m);
};
// the parent owns shutdown: a terminal's Ctrl-C reaches this process group too
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => undefined);

let broker: Awaited<ReturnType<typeof startBroker>> | undefined;
process.on('message', (m: Msg) => {
  if (m.type === 'start') {
    startBroker(m.options).then(
      (b) => {
        broker = b;
        send({ type: 'listening', host: b.host, port: b.port });
      },
      (e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  } else if (m.type === 'restart') void broker?.restart(m.downMs).then(() => send({ type: 'restarted' }));
  else if (m.type === 'stats') send({ type: 'stats', stats: broker?.stats() });
  else void (broker?.close() ?? Promise.resolve()).then(() => send({ type: 'closed' }));
});
process.on('disconnect', () => {
  void (broker?.close() ?? Promise.resolve()).then(() => process.exit(0));
});
