/**
 * Thresholds in the k6 style: `metric: ["p(99) < 500ms", "avg < 100"]`, evaluated on the
 * merged HDR histograms (exact percentiles) and counters of a Summary. The metrics and how
 * each is read are in metrics.ts; values are ms for durations unless they carry a unit
 * (500ms, 2s, 1m), fractions (0.01) or percentages (1%) for rates, plain numbers for counts.
 */
import { createHistogram, decodeHistogram, type Hdr } from '../metrics/hdr.js';
import type { Phase } from '../model/names.js';
import type { MessagePhase } from '../model/messages.js';
import { parseDuration, parsePercent, parsePlainNumber, type Parsed } from '../model/units.js';
import type { ThresholdResult } from '../model/summary.js';
import {
  AGGREGATIONS,
  METRICS,
  readMetric,
  THRESHOLD_METRICS,
  type Aggregation,
  type MetricSpec,
  type ThresholdInput,
  type ThresholdMetric,
} from './metrics.js';

export type { ThresholdInput, ThresholdMetric };
const ALIASES: Record<string, ThresholdMetric> = { connect: 'connect_duration' };
type Kind = MetricSpec['kind'];

const OPERATORS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Threshold {
  metric: ThresholdMetric;
  /** as written (trimmed) */
  expression: string;
  aggregation: Aggregation;
  op: Operator;
  /** ms for durations, a fraction for rates, a number for counts */
  value: number;
  /** a default gate rather than one the user asked for */
  default?: boolean;
}

export interface ThresholdError {
  /** the metric as written */
  metric: string;
  /** index of the expression in the metric's list; null when the metric itself is wrong */
  index: number | null;
  expression: string | null;
  message: string;
}

export function resolveMetric(name: string): ThresholdMetric | null {
  if (Object.hasOwn(METRICS, name)) return name as ThresholdMetric;
  return ALIASES[name] ?? null;
}

/** Parses one expression for one metric. */
export function parseThreshold(metricName: string, expression: string): Parsed<Threshold> {
  const metric = resolveMetric(metricName);
  if (metric === null) return { ok: false, error: unknownMetric(metricName) };
  const kind: Kind = (METRICS[metric] as MetricSpec).kind;
  const text = expression.trim();
  const head = /^(p\(([^)]*)\)|[A-Za-z_]\w*(\([^)]*\))?)/.exec(text);
  if (head === null) return fail(`expected an aggregation (${AGGREGATIONS[kind].join(', ')}) at the start`);
  let aggregation: Aggregation;
  if (head[2] !== undefined) {
    const n = head[2].trim();
    if (!/^\d+(\.\d+)?$/.test(n) || Number(n) <= 0 || Number(n) > 100) {
      return fail(`p(${head[2]}): the percentile must be a number above 0 and at most 100, like p(99) or p(99.9)`);
    }
    aggregation = { kind: 'p', percentile: Number(n) };
  } else {
    const name = head[1] ?? '';
    if (!['avg', 'min', 'max', 'med', 'rate', 'count'].includes(name)) {
      return fail(`unknown aggregation "${name}"; ${metric} takes ${AGGREGATIONS[kind].join(', ')}`);
    }
    aggregation = { kind: name as 'avg' };
  }
  const aggText = head[1] ?? '';
  if (!AGGREGATIONS[kind].includes(aggregation.kind === 'p' ? 'p(N)' : aggregation.kind)) {
    return fail(`${metric} has no ${aggText}; it takes ${AGGREGATIONS[kind].join(', ')}`);
  }
  const rest = text.slice(aggText.length).trimStart();
  const opMatch = /^(<=|>=|==|!=|<|>)/.exec(rest);
  if (opMatch === null) {
    if (/^=(?!=)/.test(rest)) return fail(`use == to compare for equality`);
    return fail(`expected an operator (${OPERATORS.join(' ')}) after ${aggText}`);
  }
  const op = opMatch[1] as Operator;
  const valueText = rest.slice(op.length).trim();
  if (valueText === '') return fail(`missing value after ${op}`);
  const value = parseValue(kind, aggregation, valueText);
  if (!value.ok) return fail(value.error);
  return { ok: true, value: { metric, expression: text, aggregation, op, value: value.value } };

  function fail(message: string): Parsed<Threshold> {
    return { ok: false, error: `${metricName}: "${expression}": ${message}` };
  }
}

/** Parses `metric:expression`, the form of the repeatable --threshold flag. */
export function parseThresholdFlag(text: string): Parsed<Threshold> {
  const colon = text.indexOf(':');
  if (colon <= 0)
    return { ok: false, error: `"${text}": expected metric:expression, like 'connect_duration:p(99) < 500ms'` };
  return parseThreshold(text.slice(0, colon).trim(), text.slice(colon + 1));
}

function parseValue(kind: Kind, aggregation: Aggregation, text: string): Parsed<number> {
  if (aggregation.kind === 'count') {
    const n = parsePlainNumber(text);
    return n.ok ? n : { ok: false, error: `${n.error} (a count is a plain number)` };
  }
  if (kind === 'duration' || kind === 'recovery') return parseDuration(text, { bareUnit: 'ms' });
  if (text.endsWith('%')) return parsePercent(text);
  const n = parsePlainNumber(text);
  if (!n.ok) return { ok: false, error: `${n.error} (a rate is a fraction like 0.01 or a percentage like 1%)` };
  if (n.value > 1)
    return { ok: false, error: `"${text}": a rate is a fraction between 0 and 1 (write ${text}% for a percentage)` };
  return n;
}

function unknownMetric(name: string): string {
  const near = THRESHOLD_METRICS.filter((m) => distance(m, name) <= 3 || m.startsWith(name));
  const hint = near.length > 0 ? `did you mean ${near.join(' or ')}? ` : '';
  return `unknown threshold metric "${name}"; ${hint}known: ${THRESHOLD_METRICS.join(', ')} (and connect)`;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * Parses a scenario's `thresholds:` mapping (metric → expression or list of expressions).
 * Returns every error at once, each naming the metric and the index of the expression so
 * the caller can point at its line and column.
 */
export function parseThresholds(spec: unknown): { thresholds: Threshold[]; errors: ThresholdError[] } {
  const thresholds: Threshold[] = [];
  const errors: ThresholdError[] = [];
  if (spec === undefined || spec === null) return { thresholds, errors };
  if (typeof spec !== 'object' || Array.isArray(spec)) {
    errors.push({
      metric: '',
      index: null,
      expression: null,
      message: 'thresholds: expected a mapping of metric to a list of expressions',
    });
    return { thresholds, errors };
  }
  for (const [metric, value] of Object.entries(spec)) {
    if (resolveMetric(metric) === null) {
      errors.push({ metric, index: null, expression: null, message: unknownMetric(metric) });
      continue;
    }
    const list: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    // an empty list is a metric with no gate (it turns a default gate off)
    if (typeof value !== 'string' && !Array.isArray(value)) {
      errors.push({
        metric,
        index: null,
        expression: null,
        message: `${metric}: expected a list of expressions like ["p(99) < 500ms"]`,
      });
      continue;
    }
    list.forEach((item, index) => {
      if (typeof item !== 'string') {
        errors.push({
          metric,
          index,
          expression: null,
          message: `${metric}[${index}]: expected an expression string like "p(99) < 500ms"`,
        });
        return;
      }
      const parsed = parseThreshold(metric, item);
      if (parsed.ok) thresholds.push(parsed.value);
      else errors.push({ metric, index, expression: item, message: parsed.error });
    });
  }
  return { thresholds, errors };
}

/** Evaluates thresholds on a summary's merged histograms and counters. */
export function evaluate(thresholds: readonly Threshold[], data: ThresholdInput): ThresholdResult[] {
  const decoded = new Map<Phase | MessagePhase, Hdr>();
  const histogram = (phase: Phase | MessagePhase): Hdr => {
    let h = decoded.get(phase);
    if (h === undefined) {
      const hdr = data.latency[phase]?.hdr;
      h = hdr === undefined ? createHistogram('cumulative') : decodeHistogram(hdr);
      decoded.set(phase, h);
    }
    return h;
  };
  return thresholds.map((t) => {
    const value = readMetric(t.metric, t.aggregation, data, histogram);
    const ok = value !== null && compare(value, t.op, t.value);
    return { metric: t.metric, expression: t.expression, ok, value, ...(t.default ? { default: true } : {}) };
  });
}

/** A threshold's observed value on a summary (what its expression is compared against). */
export function observeValue(t: Threshold, data: ThresholdInput): number | null {
  return readMetric(t.metric, t.aggregation, data);
}

function compare(a: number, op: Operator, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}
