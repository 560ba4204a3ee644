/**
 * The message figures of a comparison, per traffic stream (a row group `stream <name>`):
 * messages published per second and deliveries received per second over the run, each
 * count taken as Poisson for its interval; and the loss, as a proportion of the deliveries
 * expected. As everywhere in the comparison, with repeats of both runs their ranges must
 * not overlap either for a change to be beyond noise.
 */
import type { StreamMessages } from '../model/messages.js';
import type { Summary } from '../model/summary.js';
import { trafficSeconds } from '../report/messages.js';
import { excludesZero, proportionDifference, rateDifference, type Interval } from './noise.js';
import { delta, disjoint, type CompareRun, type Delta, type MetricRow, type Noise } from './rows.js';

/** Rates are per second of the traffic (the connect ramp and the drain left out), as in a run's own report. */
const seconds = (s: Summary): number => trafficSeconds(s) ?? 0;

/** What one figure is made of in one summary: hits out of n (a rate: events out of seconds). */
type Part = (m: StreamMessages, s: Summary) => { hits: number; n: number };

interface Figure {
  metric: string;
  unit: MetricRow['unit'];
  better: MetricRow['better'];
  noise: Noise;
  part: Part;
  interval: (a: { hits: number; n: number }, b: { hits: number; n: number }) => Interval | null;
}

const asRate = (x: { hits: number; n: number }): { count: number; seconds: number } => ({
  count: x.hits,
  seconds: x.n,
});

const FIGURES: readonly Figure[] = [
  {
    metric: 'msgs/s',
    unit: 'rate',
    better: 'higher',
    noise: 'counts',
    part: (m, s) => ({ hits: m.published, n: seconds(s) }),
    interval: (a, b) => rateDifference(asRate(a), asRate(b)),
  },
  {
    metric: 'delivered/s',
    unit: 'rate',
    better: 'higher',
    noise: 'counts',
    part: (m, s) => ({ hits: m.delivered, n: seconds(s) }),
    interval: (a, b) => rateDifference(asRate(a), asRate(b)),
  },
  {
    metric: 'loss',
    unit: 'fraction',
    better: 'lower',
    noise: 'proportions',
    part: (m) => ({ hits: m.lost, n: m.lost + m.delivered - m.duplicated }),
    interval: proportionDifference,
  },
];

/** A figure of one stream over a run's repeats, pooled (null when no repeat has the stream). */
function pooled(r: CompareRun, name: string, f: Figure): { hits: number; n: number } | null {
  const parts = r.summaries.flatMap((s) => {
    const m = s.messages?.[name];
    return m === undefined ? [] : [f.part(m, s)];
  });
  if (parts.length === 0) return null;
  return { hits: parts.reduce((a, p) => a + p.hits, 0), n: parts.reduce((a, p) => a + p.n, 0) };
}

function row(runs: readonly CompareRun[], name: string, f: Figure): MetricRow | null {
  const parts = runs.map((r) => pooled(r, name, f));
  const values = parts.map((p) => (p === null || p.n === 0 ? null : p.hits / p.n));
  if (values.every((v) => v === null)) return null;
  // deliveries nobody measured (no receivers in any run): no row
  if (f.metric === 'delivered/s' && values.every((v) => v === null || v === 0)) return null;
  const spread = runs.map((r) => {
    if (r.summaries.length < 2) return null;
    const v = r.summaries.flatMap((s) => {
      const m = s.messages?.[name];
      const p = m === undefined ? null : f.part(m, s);
      return p === null || p.n === 0 ? [] : [p.hits / p.n];
    });
    return v.length < 2 ? null : ([Math.min(...v), Math.max(...v)] as [number, number]);
  });
  const deltas = runs.map((_, i): Delta | null => {
    const a = parts[0];
    const b = parts[i];
    if (i === 0 || a === null || a === undefined || b === null || b === undefined) return null;
    const ci = f.interval(a, b);
    if (ci === null) return null;
    const sa = spread[0];
    const sb = spread[i];
    const repeats = sa !== null && sa !== undefined && sb !== null && sb !== undefined;
    const beyond = excludesZero(ci) && (!repeats || disjoint(sa, sb));
    return delta(values[0]!, values[i]!, ci, beyond, f.better, f.noise);
  });
  return { group: `stream ${name}`, metric: f.metric, unit: f.unit, better: f.better, values, spread, deltas };
}

/** Per stream any run has, in the order the runs name them: msgs/s, delivered/s (when measured), loss. */
export function streamRows(runs: readonly CompareRun[]): MetricRow[] {
  const names = [...new Set(runs.flatMap((r) => r.summaries.flatMap((s) => Object.keys(s.messages ?? {}))))];
  return names.flatMap((name) => FIGURES.map((f) => row(runs, name, f)).filter((x): x is MetricRow => x !== null));
}
