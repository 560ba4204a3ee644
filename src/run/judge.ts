/**
 * Stage 5, judge: the aggregate becomes a Summary — the generator's health assessed, the
 * thresholds evaluated on the merged histograms, the verdict decided (an interrupted run
 * decides nothing but `insecure`), and what limited the run found (judge/findings.ts).
 */
import { availableParallelism } from 'node:os';
import type { PhaseLatency, Summary, TlsContexts } from '../model/summary.js';
import { isSecure, sharedContextsWork } from '../mqtt/index.js';
import { finalizeSummary } from '../judge/verdict.js';
import type { MessagePhase } from '../model/messages.js';
import { summarizeMessages } from '../metrics/messages.js';
import { streamPlans } from '../traffic/registry.js';
import { findingsOf, type RunFacts } from '../judge/findings.js';
import { assessGenerator, brokerProcessStats } from '../engine/health.js';
import { socketsPerProcess } from '../engine/limits.js';
import type { RunPlan } from './plan.js';
import type { Prepared } from './prepare.js';
import type { Executed } from './execute.js';

function runSection(plan: RunPlan, prep: Prepared, ex: Executed): Summary['run'] {
  const c = plan.config;
  const first = prep.targets[0]!;
  return {
    id: plan.runId,
    scenario: c.scenario,
    target: c.targets.length ? c.targets.join(',') : `embedded mqtts://${first.host}:${first.port}`,
    started: ex.started.toISOString(),
    ended: ex.ended.toISOString(),
    shard: { ...c.shard, first: prep.creds.deviceStart, last: prep.creds.deviceStart + c.devices - 1 },
    mqtt: c.mqtt.version === 5 ? '5' : '3.1.1',
    devices: c.devices,
    executor: c.load.executor,
    key: c.key,
    tls: {
      min_version: c.tls.minVersion ?? null,
      max_version: c.tls.maxVersion ?? null,
      ...(c.tls.alpn ? { alpn: c.tls.alpn } : {}),
      ...(c.tls.groups ? { groups: c.tls.groups } : {}),
      ...(c.tls.ciphers ? { ciphers: c.tls.ciphers } : {}),
    },
    ...(ex.res.interrupted ? { interrupted: true } : {}),
  };
}

/** What the findings need to know besides the summary: the machine, its CPU during the run, the plan's margins. */
function runFacts(plan: RunPlan, ex: Executed): RunFacts {
  const c = plan.config;
  const pairs = Math.max(1, c.sourceIps.length) * Math.max(1, plan.targets.length);
  const [lo, hi] = plan.limits.portRange;
  return {
    cores: availableParallelism(),
    cpu: ex.probe.cpu,
    net: ex.probe.net,
    broker:
      ex.broker === undefined
        ? undefined
        : { name: ex.broker.name, threads: ex.broker.threads, pid: ex.broker.pid, pids: ex.broker.pids },
    fds: {
      perProcess: Math.ceil(plan.peak / plan.processes),
      usable: socketsPerProcess(plan.limits),
      limit: plan.limits.fdLimit,
    },
    ports: { perPair: Math.ceil(plan.peak / pairs), available: hi - lo + 1, pairs },
    tlsContextsAsked: c.tls.contexts,
  };
}

/** Share of a run's messages sent late beyond which the generator, not the broker, set the pace. */
const LATE_SATURATION = 0.01;

/** The traffic's part of the summary; a generator that could not keep the traffic's schedule is saturated. */
function traffic(
  plan: RunPlan,
  ex: Executed,
  generator: Summary['generator'],
): { messages?: Summary['messages']; latency: Partial<Record<MessagePhase, PhaseLatency>> } {
  if (plan.config.traffic.length === 0) return { latency: {} };
  const { messages, latency } = summarizeMessages(ex.agg.messages, streamPlans(plan.config.traffic));
  const published = Object.values(messages).reduce((a, m) => a + m.published, 0);
  // what the broker held back (its window full, its socket not reading) is its pace, not the generator's
  const late = Object.values(messages).reduce((a, m) => a + m.late - (m.held_back ?? 0), 0);
  if (published > 0 && late / published > LATE_SATURATION) {
    generator.saturated = true;
    generator.saturation_reasons.push(
      `${late} of ${published} messages were sent late: the generator could not keep the traffic's schedule`,
    );
  }
  return { messages, latency };
}

/**
 * How the workers gave devices their certificates: shared when asked and this Node can (the
 * workers run the same check, contexts.ts, on the same binary), else per device; undefined
 * when no target used TLS.
 */
function tlsContextsUsed(plan: RunPlan, prep: Prepared): TlsContexts | undefined {
  if (!prep.targets.some((t) => isSecure(t.transport))) return undefined;
  return plan.config.tls.contexts === 'shared' && sharedContextsWork() ? 'shared' : 'per-device';
}

export function judgeRun(plan: RunPlan, prep: Prepared, ex: Executed): Summary {
  const { res, agg } = ex;
  const counts = agg.counts();
  const generator = assessGenerator({
    res,
    counts,
    failures: agg.failures(),
    limits: plan.limits,
    workers: plan.workers,
    closedLoop: plan.schedule.kind === 'closed',
    tlsContexts: tlsContextsUsed(plan, prep),
  });
  const { latency: messageLatency, ...messages } = traffic(plan, ex, generator);
  const resumption = agg.resumption(plan.config.resumeRatio);
  const schedule = agg.schedule(plan.config.inFlight);
  const broker = brokerProcessStats(ex.broker, res.footprint, prep.broker !== undefined);
  const summary = finalizeSummary(
    {
      version: 1,
      run: runSection(plan, prep, ex),
      counts,
      failures: agg.failures(),
      security: agg.security(),
      latency: { ...agg.latency(), ...messageLatency },
      ...messages,
      mint: prep.creds.mint,
      generator,
      findings: [],
      series: agg.series(),
      ...res.policyResult,
      ...(resumption === undefined ? {} : { resumption }),
      ...(broker === undefined ? {} : { broker_process: broker }),
      ...(schedule === undefined ? {} : { schedule }),
    },
    plan.thresholds,
  );
  summary.findings = findingsOf(summary, runFacts(plan, ex));
  if (res.interrupted && (summary.verdict === 'pass' || summary.verdict === 'fail')) {
    // a run stopped early did not carry out its plan: its numbers decide nothing (insecure still stands)
    summary.verdict = 'inconclusive';
    const planned = `the plan had ${res.dispatched} scheduled so far`;
    summary.verdict_reason = `interrupted after ${summary.counts.attempted} attempts (${planned}); ${summary.verdict_reason}`;
  }
  return summary;
}
