/**
 * `--baseline SUMMARY.json`: each named metric of this run against an earlier run. A
 * regression beyond --max-regression becomes a failed threshold (exit 99), so it shows
 * in the console, summary.json and junit.xml like any other gate.
 */
import { UsageError } from '../errors.js';
import { observeValue, parseThreshold, type Threshold, type ThresholdInput } from './thresholds.js';
import { round } from '../util/numbers.js';

/** Lower is better for every metric a baseline can name (durations, failure rates). */
export const DEFAULT_BASELINE_METRICS = ['connect_duration:p(50)', 'connect_duration:p(99)', 'connect_failures:rate'];
/** Rates get this much absolute slack, so a baseline of 0 failures does not forbid a single one. */
const RATE_SLACK = 0.001;

export interface BaselineRow {
  metric: string;
  aggregation: string;
  baseline: number | null;
  /** the most the run may reach: baseline × (1 + max regression) (+ slack for rates) */
  allowed: number | null;
}

function parseMetric(spec: string): { metric: string; aggregation: string; probe: Threshold } {
  const i = spec.indexOf(':');
  if (i <= 0)
    throw new UsageError(
      `expected METRIC:AGGREGATION like connect_duration:p(99), got "${spec}"`,
      '--baseline-metrics',
    );
  const metric = spec.slice(0, i).trim();
  const aggregation = spec.slice(i + 1).trim();
  const probe = parseThreshold(metric, `${aggregation} >= 0`);
  if (!probe.ok) throw new UsageError(`${spec}: ${probe.error}`, '--baseline-metrics');
  return { metric, aggregation, probe: probe.value };
}

/**
 * Thresholds that hold this run to the baseline: `p(99) <= 48.3 (baseline 43.9 +10%)`.
 * A metric the baseline has no value for is skipped (nothing to regress from).
 */
export function baselineThresholds(
  baseline: ThresholdInput,
  metrics: string[],
  maxRegression: number,
): { thresholds: Threshold[]; rows: BaselineRow[] } {
  const thresholds: Threshold[] = [];
  const rows: BaselineRow[] = [];
  for (const spec of metrics) {
    const { metric, aggregation, probe } = parseMetric(spec);
    const base = observeValue(probe, baseline);
    if (base === null) {
      rows.push({ metric, aggregation, baseline: null, allowed: null });
      continue;
    }
    const isRate = probe.aggregation.kind === 'rate';
    const allowed = base * (1 + maxRegression) + (isRate ? RATE_SLACK : 0);
    const shown = isRate ? `${(allowed * 100).toFixed(2)}%` : `${round(allowed)}`;
    const was = isRate ? `${(base * 100).toFixed(2)}%` : `${round(base)}`;
    thresholds.push({
      metric: probe.metric,
      expression: `${aggregation} <= ${shown} (baseline ${was} +${Math.round(maxRegression * 100)}%)`,
      aggregation: probe.aggregation,
      op: '<=',
      value: allowed,
    });
    rows.push({ metric, aggregation, baseline: base, allowed });
  }
  return { thresholds, rows };
}

/** The value of a baseline row's metric in another run (null when it has none). */
export function baselineRowValue(row: BaselineRow, run: ThresholdInput): number | null {
  return observeValue(parseMetric(`${row.metric}:${row.aggregation}`).probe, run);
}
