/**
 * src/judge: what a run's numbers mean — thresholds (thresholds.ts, metrics.ts), default
 * gates (gates.ts), baseline gates (baseline.ts), findings (findings*.ts), count invariants
 * (invariants.ts) and the verdict (this file).
 *
 * The verdict of a run and its exit code. Precedence, strongest first:
 *   insecure (98)      the broker accepted a credential it must reject — whatever else happened
 *   inconclusive (97)  the generator itself was saturated, so the numbers describe it, not the broker
 *   fail (99)          a threshold failed
 *   pass (0)
 */
import { ExitCode } from '../errors.js';
import { evaluate, type Threshold } from './thresholds.js';
import type { Summary, ThresholdResult, Verdict } from '../model/summary.js';

export interface VerdictInput {
  counts: Pick<Summary['counts'], 'accepted_unexpectedly'>;
  security?: Summary['security'];
  generator: Pick<Summary['generator'], 'saturated' | 'saturation_reasons'>;
  thresholds: readonly ThresholdResult[];
}

export interface VerdictDecision {
  verdict: Verdict;
  exitCode: ExitCode;
  reason: string;
}

const EXIT: Record<Verdict, ExitCode> = {
  pass: ExitCode.ok,
  fail: ExitCode.thresholdFailed,
  inconclusive: ExitCode.inconclusive,
  insecure: ExitCode.insecure,
};

export function exitCodeFor(verdict: Verdict): ExitCode {
  return EXIT[verdict];
}

export function decideVerdict(input: VerdictInput): VerdictDecision {
  const accepted = input.counts.accepted_unexpectedly;
  if (accepted > 0) {
    const faults = (input.security ?? []).filter((s) => s.accepted > 0).map((s) => `${s.fault} ${s.accepted}`);
    const which = faults.length > 0 ? ` (${faults.join(', ')})` : '';
    const noun = accepted === 1 ? 'credential' : 'credentials';
    return decision('insecure', `the broker accepted ${accepted} faulty ${noun} it must reject${which}`);
  }
  if (input.generator.saturated) {
    const why =
      input.generator.saturation_reasons.length > 0
        ? input.generator.saturation_reasons.join('; ')
        : 'no reason recorded';
    return decision(
      'inconclusive',
      `the load generator was saturated, so the results describe it rather than the broker: ${why}`,
    );
  }
  const failed = input.thresholds.filter((t) => !t.ok);
  if (failed.length > 0) {
    const list = failed.map((t) => `${t.metric} ${t.expression}${t.value === null ? ' (no data)' : ''}`).join('; ');
    return decision('fail', `${failed.length} of ${input.thresholds.length} thresholds failed: ${list}`);
  }
  const n = input.thresholds.length;
  return decision('pass', n === 0 ? 'no thresholds set; no security expectation broken' : `all ${n} thresholds held`);
}

function decision(verdict: Verdict, reason: string): VerdictDecision {
  return { verdict, exitCode: EXIT[verdict], reason };
}

/**
 * Completes a summary: evaluates the thresholds on its merged data and sets the verdict.
 * Everything else is taken as given.
 */
export function finalizeSummary(
  draft: Omit<Summary, 'thresholds' | 'verdict' | 'verdict_reason'>,
  thresholds: readonly Threshold[],
): Summary {
  const results = evaluate(thresholds, draft);
  const { verdict, reason } = decideVerdict({ ...draft, thresholds: results });
  return { ...draft, thresholds: results, verdict, verdict_reason: reason };
}
