/**
 * The data behind the report's charts, computed from a Summary (and a baseline): per-phase
 * latency percentile curves from the HDR histograms, the timelines from the per-second
 * series, and the chart data of extra sections. Its size does not grow with the number of
 * devices: the curves sample a fixed percentile grid and the series is already bounded
 * (downsampled for long runs).
 */
import { decodeHistogram } from '../../metrics/hdr.js';
import { PHASES, type Phase } from '../../model/names.js';
import { MESSAGE_PHASES, type MessagePhase } from '../../model/messages.js';
import type { Summary, TimeSeries } from '../../model/summary.js';
import type { SectionChart } from './section.js';

/** Decades of the percentile axis: x = 1/(1 - p), from 1 (0%) to 10^4 (99.99%). */
const CURVE_DECADES = 4;
/** Points per decade of the percentile axis. */
const CURVE_POINTS_PER_DECADE = 40;
/** Failure reasons drawn one by one in the timeline; the rest are summed as "other". */
export const TIMELINE_REASONS = 8;

export interface Curves {
  /** x = 1/(1 - percentile/100): 1 is p0, 10 is p90, 10^4 is p99.99 (log axis) */
  x: number[];
  /** ms at each x, per phase; null when the phase recorded nothing; message phases only when the run has them */
  phases: Record<Phase, number[] | null> & Partial<Record<MessagePhase, number[] | null>>;
}

export interface Timeline {
  /** seconds since the run started (start of each point) */
  x: number[];
  /** seconds per point (1, or 2, 4, … after downsampling) */
  resolution: number;
  /** per second */
  attempts: number[];
  connected: number[];
  failed: number[];
  rejected: number[];
  unexpected: number[];
  active: number[];
  /** ms; null when nothing connected in the point */
  p50: (number | null)[];
  p99: (number | null)[];
  /** failures per second by reason (the most frequent first, then "other") */
  reasons: { reason: string; values: number[] }[];
  /** with traffic, per second over every stream (null without: the series has no message counts) */
  messages: { published: number[]; delivered: number[]; late: number[]; lost: number[] } | null;
}

export interface RunData {
  label: string;
  curves: Curves;
  timeline: Timeline | null;
}

export interface ReportData {
  run: RunData;
  baseline: RunData | null;
  /** the chart data of the extra sections, by section id */
  sections: Record<string, SectionChart>;
}

/** Grid points people read off: p50, p75, p95, p99.5, p99.95 (the powers of ten are in the grid). */
const NAMED_POINTS = [2, 4, 20, 200, 2000];

/** The percentile grid, shared by every curve so runs overlay point by point. */
export function percentileGrid(): number[] {
  const n = CURVE_DECADES * CURVE_POINTS_PER_DECADE;
  const grid = Array.from({ length: n + 1 }, (_, i) => round(10 ** ((i * CURVE_DECADES) / n), 6));
  return [...new Set([...grid, ...NAMED_POINTS])].sort((a, b) => a - b);
}

/** The percentile (0–100) that a grid x stands for. */
export const percentileOf = (x: number): number => 100 * (1 - 1 / x);

/** Latency in ms at each point of the grid, per phase, from the encoded histograms. */
export function latencyCurves(latency: Summary['latency'], grid: readonly number[] = percentileGrid()): Curves {
  const phases = {} as Curves['phases'];
  const present = MESSAGE_PHASES.filter((p) => latency[p] !== undefined);
  for (const phase of [...PHASES, ...present]) {
    const l = latency[phase]!;
    let values: number[] | null = null;
    if (l.count > 0) {
      try {
        const h = decodeHistogram(l.hdr);
        if (h.totalCount > 0)
          values = grid.map((x) => round(h.getValueAtPercentile(Math.min(100, percentileOf(x))) / 1000, 3));
      } catch {
        values = null; // a summary read with readSummary has valid histograms; a hand-made one may not
      }
    }
    phases[phase] = values;
  }
  return { x: [...grid], phases };
}

/** The timeline of a run, per second, from its series (null when it has none). */
export function timeline(summary: Summary & { series?: TimeSeries }): Timeline | null {
  const s = summary.series;
  if (s === undefined || s.points.length === 0) return null;
  const r = s.resolution > 0 ? s.resolution : 1;
  const started = Date.parse(summary.run.started);
  const seriesStart = Date.parse(s.start);
  const offset = Number.isFinite(started) && Number.isFinite(seriesStart) ? (seriesStart - started) / 1000 : 0;
  const points = [...s.points].sort((a, b) => a.t - b.t);
  const perSecond = (n: number): number => round(n / r, 3);

  const totals = new Map<string, number>();
  for (const p of points)
    for (const [reason, n] of Object.entries(p.failures)) totals.set(reason, (totals.get(reason) ?? 0) + n);
  const ranked = [...totals.entries()]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k]) => k);
  const shown = ranked.length > TIMELINE_REASONS ? ranked.slice(0, TIMELINE_REASONS - 1) : ranked;
  const rest = ranked.slice(shown.length);
  const reasons = shown.map((reason) => ({ reason, values: points.map((p) => perSecond(p.failures[reason] ?? 0)) }));
  if (rest.length > 0) {
    reasons.push({
      reason: `other (${rest.length} reasons)`,
      values: points.map((p) => perSecond(rest.reduce((a, k) => a + (p.failures[k] ?? 0), 0))),
    });
  }
  return {
    x: points.map((p) => round(Math.max(0, p.t + offset), 3)),
    resolution: r,
    attempts: points.map((p) => perSecond(p.attempts)),
    connected: points.map((p) => perSecond(p.connected)),
    failed: points.map((p) => perSecond(p.failed)),
    rejected: points.map((p) => perSecond(p.rejected)),
    unexpected: points.map((p) => perSecond(p.unexpected)),
    active: points.map((p) => p.active),
    p50: points.map((p) => p.p50),
    p99: points.map((p) => p.p99),
    reasons,
    messages: points.some((p) => p.published !== undefined)
      ? {
          published: points.map((p) => perSecond(p.published ?? 0)),
          delivered: points.map((p) => perSecond(p.delivered ?? 0)),
          late: points.map((p) => perSecond(p.late ?? 0)),
          lost: points.map((p) => perSecond(p.lost ?? 0)),
        }
      : null,
  };
}

function runData(summary: Summary & { series?: TimeSeries }, label: string): RunData {
  return { label, curves: latencyCurves(summary.latency), timeline: timeline(summary) };
}

export function reportData(
  summary: Summary & { series?: TimeSeries },
  baseline?: Summary & { series?: TimeSeries },
  sections: Record<string, SectionChart> = {},
): ReportData {
  return {
    run: runData(summary, 'this run'),
    baseline: baseline === undefined ? null : runData(baseline, 'baseline'),
    sections,
  };
}

/** JSON safe to place inside a <script> element (no "</script>", no "<!--"). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
