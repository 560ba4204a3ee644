/**
 * Stage 2, plan: what the run will do on this machine — its executor, schedule and policy
 * settings, the peak of connections it holds, how many generator processes and worker
 * threads carry it — checked against the machine's limits (open files, ephemeral ports)
 * before anything starts.
 */
import { randomUUID } from 'node:crypto';
import { PlanError } from '../errors.js';
import type { AnyExecutor, RunShape } from '../load/executor.js';
import { executorOf } from '../load/registry.js';
import type { Schedule } from '../load/schedule.js';
import { checkCapacity, checkFileLimit, hostLimits, socketsPerProcess, type HostLimits } from '../engine/limits.js';
import type { CheckedRun } from './check.js';
import { shardRunId } from './shard.js';

export interface RunPlan extends CheckedRun {
  runId: string;
  executor: AnyExecutor;
  shape: RunShape;
  schedule: Schedule;
  /** connections open at once at the peak (held and in flight) */
  peak: number;
  limits: HostLimits;
  processes: number;
  /** connection worker threads, over all processes */
  workers: number;
}

export function planRun(checked: CheckedRun): RunPlan {
  const c = checked.config;
  const executor = executorOf(c.load);
  const t = c.timeouts;
  const connectMs = t.tcpMs + t.tlsMs + t.connackMs + t.subscribeMs;
  const shape: RunShape = { devices: c.devices, inFlight: c.inFlight, holdMs: c.holdMs, connectMs };
  const peak = executor.peakConnections(c.load, shape);
  const limits = hostLimits();
  checkFileLimit(limits);
  const processes = planProcesses(checked, peak, limits);
  checkCapacity(
    {
      peakConnections: peak,
      sourceTargetPairs: Math.max(1, c.sourceIps.length) * Math.max(1, checked.targets.length),
      targets: Math.max(1, checked.targets.length),
      processes,
    },
    limits,
  );
  return {
    ...checked,
    runId: c.shard.count > 1 ? shardRunId(checked.whole) : randomUUID(),
    executor,
    shape,
    schedule: executor.schedule(c.load, shape),
    peak,
    limits,
    processes,
    // every generator process runs at least one worker thread
    workers: Math.max(processes, Math.min(c.workers, c.devices)),
  };
}

/**
 * Generator processes: as many as the peak needs under the open-files limit (one process
 * holds at most ~19,900 sockets here), or --processes. The embedded broker is one process,
 * so it serves at most one process's worth of connections.
 */
function planProcesses(checked: CheckedRun, peak: number, limits: HostLimits): number {
  const c = checked.config;
  const perProcess = socketsPerProcess(limits);
  const needed = Math.max(1, Math.ceil(peak / perProcess));
  if (checked.targets.length === 0 && peak > perProcess) {
    throw new PlanError(
      `the embedded broker is one process and can hold ${perProcess} connections under its open-files limit (${limits.fdLimit}); ` +
        `the plan holds up to ${peak}: use an external broker (several, e.g. mosquitto instances, with --target a,b,...) or lower --devices / --hold`,
    );
  }
  if (c.processes !== undefined && c.processes < needed) {
    throw new PlanError(
      `${peak} connections at the peak need at least ${needed} generator processes (${perProcess} sockets each), --processes says ${c.processes}`,
    );
  }
  return c.processes ?? needed;
}
