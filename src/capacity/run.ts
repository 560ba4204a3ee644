/**
 * src/capacity: `herd capacity` — the search (search.ts), its steps, what limited it, and
 * its console and HTML views.
 *
 * `herd capacity` as a library call: the breakpoint search run step by step with
 * runHerd. One broker (the given target, or one embedded broker started here for the
 * whole search) and one device store (minted here, grown as the rates need more
 * devices) serve every step; each step is an open loop at a constant rate held to the
 * SLOs. The result is the summary of the step that found the answer, with `capacity`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, type ExitCode } from '../errors.js';
import { parseThresholds } from '../judge/thresholds.js';
import { exitCodeFor } from '../judge/verdict.js';
import { explainCapacity } from './explain.js';
import type { Summary, Verdict } from '../model/summary.js';
import type { Capacity, CapacityStep } from '../model/capacity.js';
import { judgeStep, rateText } from './step.js';
import type { AggregateSnapshot } from '../metrics/aggregate.js';
import type { Engine, EngineState } from '../engine/coordinator.js';
import { runHerd } from '../run/run.js';
import { constantRateLoad } from '../load/registry.js';
import type { RunConfig } from '../run/config.js';
import { searchEnvironment, type SearchEnvironment } from './environment.js';
import type { EmbeddedBroker } from '../engine/embedded-broker.js';
import {
  STEP_MAX_MS,
  BreakpointSearch,
  validateBreakpoint,
  type BreakpointConfig,
  type PlannedStep,
  type SearchResult,
} from './search.js';
import { startProbe, type BrokerProcess, type ProbeSample } from '../engine/probe.js';
import { probeWindow, settingsOf, stepConfig } from './step-config.js';
import { defaultMessageSlo, fleetOf, messageStepRun, type MessagePlan } from './messages.js';
import { judgeMessageStep } from './message-step.js';
import { capacityUnit, type CapacityUnit } from '../model/capacity.js';

/** The SLOs a search holds each step to when the scenario and flags set none. */
export const DEFAULT_SLO: Record<string, string[]> = {
  connect_duration: ['p(99) < 500ms'],
  connect_failures: ['rate < 0.01'],
};
/** Pause after each step so the broker drains closed connections before the next. */
const SETTLE_MS = 1000;
/** What a step costs beyond its own duration until one has been measured (start-up, drain, settle). */
const FIRST_OVERHEAD_MS = 2500;
/** A message step: how long a run takes to start its connects until one has been measured. */
const FIRST_PREP_MS = 1500;

export interface CapacityConfig {
  /** everything a run takes; its load, hold, outputs and exporter are the search's to set */
  run: RunConfig;
  search: BreakpointConfig;
  /** a message search (`--search messages`, messagePlan): the fleet and the stream whose rate is stepped */
  messages?: MessagePlan;
}

export interface CapacityHooks {
  onInfo?: (line: string) => void;
  onStepStart?: (step: PlannedStep, index: number) => void;
  onStepDone?: (step: CapacityStep, index: number) => void;
  onProgress?: (snap: AggregateSnapshot, state: EngineState) => void;
}

export interface CapacityOutcome {
  summary: Summary;
  exitCode: ExitCode;
}

export class CapacityRun {
  private engine: Engine | undefined;
  private stopped = false;
  private search: BreakpointSearch | undefined;
  /** a message step's time from runHerd to its first connect: what to expect, and the quickest seen */
  private prepMs = FIRST_PREP_MS;
  private prepMinMs: number | undefined;

  constructor(
    private readonly c: CapacityConfig,
    private readonly hooks: CapacityHooks = {},
  ) {}

  /** Ctrl-C: end the current step cleanly and report what was found so far. */
  interrupt(): void {
    this.stopped = true;
    this.search?.interrupt();
    this.engine?.interrupt();
  }

  async run(): Promise<CapacityOutcome> {
    const { run: base } = this.c;
    const cfg = searchConfig(this.c);
    const problems = validateBreakpoint(cfg);
    if (problems.length > 0) throw new UsageError(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    const msg = this.c.messages;
    const userSlo = Object.keys(base.thresholds).length > 0;
    const slo = userSlo ? base.thresholds : msg !== undefined ? defaultMessageSlo(msg) : DEFAULT_SLO;
    const parsed = parseThresholds(slo);
    if (parsed.errors.length > 0) throw new UsageError(parsed.errors.map((e) => e.message).join('; '), '--threshold');
    const info = this.hooks.onInfo ?? (() => undefined);
    const started = new Date();
    const t0 = performance.now();
    const work = mkdtempSync(join(tmpdir(), 'herd-capacity-'));
    let broker: EmbeddedBroker | undefined;
    try {
      const env = await searchEnvironment(base, work, (b) => (broker = b), info);
      const search = new BreakpointSearch(cfg);
      this.search = search;
      if (this.stopped) search.interrupt();
      const steps: CapacityStep[] = [];
      const summaries: Summary[] = [];
      let overheadMs = FIRST_OVERHEAD_MS;
      let result: SearchResult;
      for (;;) {
        const d = search.next(performance.now() - t0, overheadMs);
        if ('done' in d) {
          result = d.done;
          break;
        }
        const stepStart = performance.now();
        const { step, summary } =
          msg === undefined
            ? await this.step(d.step, steps.length, base, slo, env, info)
            : await this.messageStep(d.step, steps.length, msg, slo, env, info);
        if (this.stopped) {
          // cut short: it neither held nor broke (the search ends 'interrupted')
          step.ok = false;
          step.broke = ['stopped by the user before the step ended'];
        } else {
          search.record({
            rate: step.rate,
            kind: step.kind,
            ok: step.ok,
            saturated: step.saturated,
            insecure: summary.verdict === 'insecure',
          });
        }
        steps.push(step);
        summaries.push(summary);
        this.hooks.onStepDone?.(step, steps.length - 1);
        if (!this.stopped) await new Promise((r) => setTimeout(r, SETTLE_MS));
        const spent = performance.now() - stepStart - d.step.durationMs;
        overheadMs =
          steps.length === 1 ? Math.max(spent, 1000) : (overheadMs * (steps.length - 1) + spent) / steps.length;
      }
      const ended = new Date();
      return this.outcome(result, steps, summaries, slo, env, { started, ended });
    } finally {
      await broker?.close();
      rmSync(work, { recursive: true, force: true });
    }
  }

  private async step(
    planned: PlannedStep,
    index: number,
    base: RunConfig,
    slo: Record<string, string[]>,
    env: SearchEnvironment,
    info: (l: string) => void,
  ): Promise<{ step: CapacityStep; summary: Summary }> {
    const wanted = Math.max(1, Math.ceil((planned.rate * planned.durationMs) / 1000));
    const devices = await env.ensure(wanted);
    const count = Math.min(wanted, devices.count);
    const durationMs = Math.round((count / planned.rate) * 1000);
    this.hooks.onStepStart?.({ ...planned, durationMs }, index);
    const config: RunConfig = {
      ...stepConfig(base, env, slo),
      store: devices.storePath,
      devices: count,
      load: constantRateLoad(planned.rate, durationMs),
    };
    const { summary, sample } = await this.runStep(config, env, info);
    return { step: judgeStep(summary, { ...planned, durationMs }, sample), summary };
  }

  /** A message step: the fleet connects, then publishes at the step's rate from one instant on. */
  private async messageStep(
    planned: PlannedStep,
    index: number,
    plan: MessagePlan,
    slo: Record<string, string[]>,
    env: SearchEnvironment,
    info: (l: string) => void,
  ): Promise<{ step: CapacityStep; summary: Summary }> {
    const base = this.c.run;
    const devices = await env.ensure(plan.devices);
    if (devices.count < plan.devices)
      throw new UsageError(`${base.store} holds ${devices.count} devices, the fleet is ${plan.devices}`, '--devices');
    const now = Date.now();
    // no run starts its connects in less than half the quickest start seen so far
    const prep = { expectedMs: this.prepMs, floorMs: (this.prepMinMs ?? 0) / 2 };
    const r = messageStepRun(plan, base.traffic, planned.rate, planned.durationMs, prep, now);
    this.hooks.onStepStart?.({ ...planned, durationMs: r.durationMs }, index);
    const config: RunConfig = {
      ...stepConfig(base, env, slo),
      // the traffic's subscribers get certificates from the devices' CA
      pkiDir: base.pkiDir ?? env.caDir,
      store: devices.storePath,
      devices: plan.devices,
      load: r.load,
      holdMs: r.holdMs,
      traffic: r.traffic,
    };
    // CPU over the traffic alone, not the connects and waits around it
    const window = { fromMs: r.alignAtMs, toMs: r.alignAtMs + r.durationMs };
    const { summary, sample } = await this.runStep(config, env, info, window);
    // the next step waits for its fleet as long as this one took to start connecting, and some
    const first = Date.parse(summary.schedule?.first_intended ?? '');
    if (Number.isFinite(first)) {
      this.prepMs = Math.max(300, Math.min(10_000, (first - now) * 1.2 + 200));
      this.prepMinMs = Math.min(this.prepMinMs ?? Infinity, first - now);
    }
    const step = judgeMessageStep(summary, { ...planned, durationMs: r.durationMs }, plan, r.scheduled, sample);
    return { step, summary };
  }

  /** A step's run, the broker's and the machine's CPU measured over it (or over `window`, epoch ms, only). */
  private async runStep(
    config: RunConfig,
    env: SearchEnvironment,
    info: (l: string) => void,
    window?: { fromMs: number; toMs: number },
  ): Promise<{ summary: Summary; sample: ProbeSample }> {
    const w = window === undefined ? undefined : probeWindow(env.brokerProcess, window);
    const probe = w === undefined ? startProbe(env.brokerProcess) : undefined;
    const { summary } = await runHerd(config, {
      onInfo: (l) => {
        if (!l.startsWith('metrics on')) info(l);
      },
      onEngine: (e) => {
        this.engine = e;
        if (this.stopped) e.interrupt();
      },
      onProgress: (snap, state) => this.hooks.onProgress?.(snap, state),
    });
    this.engine = undefined;
    return { summary, sample: probe?.stop() ?? w!.stop() };
  }

  private outcome(
    result: SearchResult,
    steps: CapacityStep[],
    summaries: Summary[],
    slo: Record<string, string[]>,
    env: { brokerProcess: BrokerProcess | undefined; target: string },
    when: { started: Date; ended: Date },
  ): CapacityOutcome {
    const { run: base, search: cfg } = this.c;
    const config = settingsOf(base, env);
    const msg = this.c.messages;
    const unit: CapacityUnit = msg === undefined ? 'connects/s' : 'messages/s';
    const { reason, findings } = explainCapacity({
      result,
      steps,
      config,
      maxRateAllowed: cfg.maxRate,
      budgetMs: cfg.budgetMs,
      unit,
    });
    const capacity: Capacity = {
      unit,
      max_rate: result.maxRate,
      limited_by: result.limitedBy,
      steps,
      confirmed: result.confirmed,
      at_least: result.atLeast,
      ceiling: result.ceiling,
      reason,
      findings,
      slo: Object.entries(slo).flatMap(([m, list]) => list.map((e) => `${m} ${e}`)),
      search: {
        start_rate: cfg.startRate,
        max_rate: cfg.maxRate,
        precision: cfg.precision,
        budget_ms: cfg.budgetMs,
        elapsed_ms: when.ended.getTime() - when.started.getTime(),
        started: when.started.toISOString(),
        ended: when.ended.toISOString(),
      },
      config,
      ...(msg === undefined ? {} : { fleet: fleetOf(msg) }),
    };
    // the summary of the step that gives the answer: the longest hold at max_rate, else where it broke
    const pick = (pred: (s: CapacityStep) => boolean): number => {
      let best = -1;
      steps.forEach((s, i) => {
        if (pred(s) && (best < 0 || s.duration_ms >= steps[best]!.duration_ms)) best = i;
      });
      return best;
    };
    let i = result.maxRate === null ? -1 : pick((s) => s.ok && s.rate === result.maxRate);
    if (i < 0 && result.ceiling !== null) i = pick((s) => !s.ok && s.rate === result.ceiling);
    if (i < 0) i = steps.length - 1;
    const chosen = summaries[i];
    if (chosen === undefined)
      throw new UsageError(
        `the budget (${cfg.budgetMs / 1000}s) is too short for a single step: give --budget more time`,
        '--budget',
      );
    const verdict = verdictFor(result);
    const summary: Summary = {
      ...chosen,
      run: { ...chosen.run, executor: 'breakpoint' },
      verdict,
      verdict_reason: headline(
        result,
        capacity,
        summaries.some((s) => s.verdict === 'insecure')
          ? summaries.find((s) => s.verdict === 'insecure')!.verdict_reason
          : undefined,
      ),
      capacity,
    };
    return { summary, exitCode: exitCodeFor(verdict) };
  }
}

/**
 * The search's bounds; a message search gives up below one message per publishing device
 * in the longest step (below that a step would have to be longer than asked).
 */
function searchConfig(c: CapacityConfig): BreakpointConfig {
  if (c.messages === undefined) return c.search;
  const longestS = (c.search.stepMs ?? STEP_MAX_MS) / 1000;
  return { ...c.search, minRate: Math.max(c.search.minRate, c.messages.publishing / longestS) };
}

/** insecure 98, generator saturated or stopped by the user 97 ("at least"), no rate held 99, else 0. */
function verdictFor(r: SearchResult): Verdict {
  if (r.limitedBy === 'insecure') return 'insecure';
  if (r.limitedBy === 'generator' || r.limitedBy === 'interrupted') return 'inconclusive';
  // no rate held its SLOs (whatever stopped the search): it found nothing to stand on
  if (r.maxRate === null) return 'fail';
  return 'pass';
}

function headline(r: SearchResult, c: Capacity, insecure: string | undefined): string {
  if (insecure !== undefined) return `${insecure}; the capacity search stopped`;
  if (r.maxRate === null) return c.reason;
  const how = r.atLeast ? 'at least ' : '';
  const sure = r.confirmed ? ' (confirmed by a longer hold)' : r.atLeast ? '' : ' (not confirmed)';
  const what = capacityUnit(c) === 'messages/s' ? 'message rate' : 'connect rate';
  return `max sustainable ${what} ${how}${rateText(r.maxRate)}${sure}: ${c.reason}`;
}
