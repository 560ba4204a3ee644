/**
 * src/run: `herd run` as a pipeline of stages, one module each, and `herd merge`.
 *
 * `herd run` as a library call: the pipeline check → plan → prepare → execute → judge →
 * write. Every stage takes what the one before it made; only check reads user input.
 */
import type { ExitCode } from '../errors.js';
import { assertCounts } from '../judge/invariants.js';
import type { Summary } from '../model/summary.js';
import { exitCodeFor } from '../judge/verdict.js';
import type { BaselineRow } from '../judge/baseline.js';
import type { AggregateSnapshot } from '../metrics/aggregate.js';
import type { HerdExporter } from '../metrics/exporter.js';
import type { Engine, EngineState } from '../engine/coordinator.js';
import type { EmbeddedBroker } from '../engine/embedded-broker.js';
import type { RunConfig } from './config.js';
import { checkRun } from './check.js';
import { planRun } from './plan.js';
import { prepareRun } from './prepare.js';
import { executeRun } from './execute.js';
import { judgeRun } from './judge.js';
import { writeRun } from './write.js';

export interface RunHooks {
  /** progress once a second */
  onProgress?: (snap: AggregateSnapshot, state: EngineState) => void;
  /** a line of what the run is doing (minting, broker started, …) */
  onInfo?: (line: string) => void;
  /** something went wrong that does not change the verdict (a failed --push); default: onInfo */
  onWarning?: (line: string) => void;
  /** the engine is about to start: keep it to interrupt() on Ctrl-C */
  onEngine?: (engine: Engine) => void;
  /** the embedded broker, when one was started */
  onBroker?: (broker: EmbeddedBroker) => void;
}

export interface RunOutcome {
  summary: Summary;
  exitCode: ExitCode;
  /** With --metrics-port: still serving the final values (for --linger). Close it when done. */
  exporter: HerdExporter | undefined;
  /** with --baseline: the earlier run and the metrics compared */
  baseline: { summary: Summary; rows: BaselineRow[] } | undefined;
}

export async function runHerd(config: RunConfig, hooks: RunHooks = {}): Promise<RunOutcome> {
  const info = hooks.onInfo ?? (() => undefined);
  const warn = hooks.onWarning ?? info;
  const plan = planRun(await checkRun(config));
  const prep = await prepareRun(plan, { info, ...(hooks.onBroker ? { onBroker: hooks.onBroker } : {}) });
  let keepExporter = false;
  try {
    const executed = await executeRun(plan, prep, { info, warn, ...hooks });
    const summary = judgeRun(plan, prep, executed);
    prep.creds.store.close();
    await writeRun(plan, prep, summary, { info, warn });
    assertCounts(summary);
    keepExporter = plan.config.metricsPort !== undefined;
    return {
      summary,
      exitCode: exitCodeFor(summary.verdict),
      exporter: keepExporter ? prep.exporter : undefined,
      baseline: plan.baseline,
    };
  } finally {
    await prep.release(keepExporter);
  }
}
