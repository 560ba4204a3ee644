/**
 * What the machine said about a capacity step, for either search: the broker process at
 * its cores, the whole machine busy. `per` writes a rate in the search's unit.
 */
import { availableParallelism } from 'node:os';
import type { Capacity, CapacityFinding, CapacityStep } from '../model/capacity.js';

/** Busier than this, a machine has no headroom left. */
export const BUSY = 0.85;
/** A broker this busy on its cores queues work: at 80% utilisation bursts already wait. */
const BROKER_BUSY = 0.8;

export type RateWords = (r: number) => string;

export const cores = (c: number): string => (c < 1.5 ? `${Math.round(c * 100)}% of a core` : `${c.toFixed(1)} cores`);

export function hostFinding(s: CapacityStep, per: RateWords): CapacityFinding {
  const parts = [`generator ${cores(s.generator_cpu)}`];
  if (s.broker_cpu !== null) parts.push(`broker ${cores(s.broker_cpu)}`);
  return {
    kind: 'host_cpu',
    text:
      `this machine's ${availableParallelism()} CPUs were ${Math.round((s.host_cpu ?? 0) * 100)}% busy at ${per(s.rate)} ` +
      `(${parts.join(', ')}, the rest other processes): ` +
      "where the generator and broker share a machine, the knee is the machine's as much as the broker's",
  };
}

/** The broker at its cores comes first; else a full machine, then the broker's own share. */
export function cpuFindings(
  b: CapacityStep,
  config: Capacity['config'],
  per: RateWords,
  path: string,
): CapacityFinding[] {
  const out: CapacityFinding[] = [];
  const broker = config.broker;
  const hostBusy = b.host_cpu !== null && b.host_cpu >= BUSY;
  if (broker !== null && b.broker_cpu !== null) {
    const usable = Math.min(broker.threads, availableParallelism());
    const which = (broker.pids?.length ?? 1) > 1 ? `pids ${broker.pids!.join(', ')}` : `pid ${broker.pid}`;
    const used = `the broker (${broker.name}, ${which}) used ${cores(b.broker_cpu)} at ${per(b.rate)}`;
    if (b.broker_cpu >= BROKER_BUSY * usable) {
      const single = broker.threads === 1 ? ' and has one thread, so it cannot use another' : '';
      out.push({ kind: 'broker_cpu', text: `${used}${single}: it is CPU-bound on ${path}` });
      if (hostBusy) out.push(hostFinding(b, per));
    } else {
      if (hostBusy) out.push(hostFinding(b, per));
      out.push({
        kind: 'broker_cpu',
        text: `${used}: it was not out of CPU${hostBusy ? ' — it did not get more of this busy machine' : ''}`,
      });
    }
  } else if (hostBusy) {
    out.push(hostFinding(b, per));
  }
  return out;
}
