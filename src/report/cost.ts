/**
 * What a connection cost, for a capacity planner, in the same words on the console and in
 * the HTML report: the generator's memory per held connection, its CPU while connecting
 * (the ramp) and while holding (the hold), and a local broker's CPU over the same phases.
 */
import type { Summary } from '../model/summary.js';
import { bytes, int } from './format.js';

/** ms of CPU, with the precision a small figure needs */
const cpu = (x: number): string => `${x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : int(Math.round(x))} ms`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const cores = (x: number): string => `${x.toFixed(2)} cores`;

/** [label, value] rows; none for a summary written before these figures existed. */
export function costRows(s: Summary): [string, string][] {
  const g = s.generator;
  const rows: [string, string][] = [];
  const m = g.memory;
  if (m !== undefined)
    rows.push([
      'Memory per held connection',
      g.kb_per_connection === null || g.kb_per_connection === undefined || m.held_bytes === null
        ? 'nothing held'
        : `${g.kb_per_connection.toFixed(1)} KB (RSS ${bytes(m.before_bytes)} before the first connect, ` +
          `${bytes(m.held_bytes)} with ${int(m.held)} held)`,
    ]);
  const ramp = g.phases?.ramp;
  if (ramp !== undefined)
    rows.push([
      'CPU while connecting (ramp)',
      ramp === null
        ? 'the run ended before its schedule did'
        : `${ramp.cpu_ms_per_handshake === null ? '–' : cpu(ramp.cpu_ms_per_handshake)} per handshake ` +
          `(${cpu(ramp.cpu_ms)} over ${int(ramp.handshakes)} handshakes in ${seconds(ramp.ms)})`,
    ]);
  const hold = g.phases?.hold;
  if (hold !== undefined)
    rows.push([
      'CPU while holding (hold)',
      hold === null || hold.cpu_ms_per_connection_second === null
        ? 'nothing held after the ramp'
        : `${cpu(hold.cpu_ms_per_connection_second)} per connection-second ` +
          `(${cpu(hold.cpu_ms)} over ${int(Math.round(hold.connection_seconds))} connection-seconds in ${seconds(hold.ms)}); ` +
          `1,000 held connections take ${cores(hold.cpu_ms_per_connection_second)}`,
    ]);
  const b = s.broker_process;
  if (b !== undefined) {
    const perHandshake =
      b.ramp_cpu_ms === null || ramp === null || ramp === undefined || ramp.handshakes === 0
        ? ''
        : ` · ${cpu(b.ramp_cpu_ms / ramp.handshakes)} per handshake while connecting`;
    const perHeld =
      b.hold_cpu_ms === null || hold === null || hold === undefined || hold.connection_seconds === 0
        ? ''
        : ` · ${cpu(b.hold_cpu_ms / hold.connection_seconds)} per connection-second while holding`;
    const threads = b.threads === 1 ? 'its one thread' : `its ${b.threads} threads`;
    const pids = b.pids ?? [b.pid];
    rows.push([
      pids.length > 1
        ? `Broker processes (${b.command} ×${pids.length}, pids ${pids.join(', ')})`
        : `Broker process (${b.command}, pid ${b.pid}${b.embedded ? ', embedded' : ''})`,
      `${cores(b.cores)} on average of ${threads} (${cpu(b.cpu_ms)})${perHandshake}${perHeld}`,
    ]);
  }
  return rows;
}
