/**
 * src/compare: `herd compare` — the comparison, its noise estimates, its console and HTML views.
 *
 * `herd compare`: two or more runs side by side. The first is the reference; every other
 * run gets, per metric, its value, the difference, a 95% interval of that difference and
 * whether it is beyond noise:
 *
 *   latency percentiles  bootstrap over the HDR data (compare-noise.ts); with repeats of
 *                        both configurations, the repeats' ranges must not overlap either;
 *                        the message phases (publish_ack, delivery, command_rtt) too
 *   failure rate         interval of the difference of two proportions
 *   per traffic stream   msgs/s and delivered/s: the difference of two Poisson rates; loss:
 *                        of two proportions (streams.ts)
 *   capacity knee        each search brackets its knee between the rate that held and the
 *                        rate that broke; knees whose brackets do not overlap differ
 *
 * A configuration repeated is given as one argument, its summaries joined by commas
 * (a1.json,a2.json,a3.json): its histograms are pooled and its run-to-run spread counts.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { mergeSummaries } from '../run/merge.js';
import type { Phase } from '../model/names.js';
import { readSummary } from '../report/json/index.js';
import { Ecdf, excludesZero, percentileDifference, proportionDifference } from './noise.js';
import type { Summary } from '../model/summary.js';
import { capacityUnit, type Capacity } from '../model/capacity.js';
import type { MessagePhase } from '../model/messages.js';
import { delta, disjoint, type CompareRun, type Comparison, type MetricRow } from './rows.js';
import { streamRows } from './streams.js';

export type { CompareRun, Comparison, Delta, MetricRow, Noise } from './rows.js';

const PHASE_PERCENTILES: Record<Phase | MessagePhase, readonly number[]> = {
  connect: [50, 90, 99, 99.9],
  tcp: [50, 99],
  tls: [50, 99],
  ws: [50, 99],
  connack: [50, 99],
  subscribe: [50, 99],
  publish_ack: [50, 99],
  delivery: [50, 99],
  command_rtt: [50, 99],
};
/** The connection's phases, then the messages' (a phase only when a run measured it: no ws rows without WebSocket, no message rows without traffic). */
const PHASE_ORDER: readonly (Phase | MessagePhase)[] = [
  'connect',
  'tcp',
  'tls',
  'ws',
  'connack',
  'subscribe',
  'publish_ack',
  'delivery',
  'command_rtt',
];

/** How many values a run measured in a phase (0 when the summary has no such phase: no traffic). */
const measured = (s: Summary, phase: Phase | MessagePhase): number => s.latency[phase]?.count ?? 0;

/** What tells runs apart, from the summary (and a capacity search's settings). */
function settingsOf(s: Summary): Record<string, string> {
  const out: Record<string, string> = {
    scenario: s.run.scenario,
    target: s.run.target,
    mqtt: s.run.mqtt,
    executor: s.run.executor,
  };
  const run = s.run as Summary['run'] & {
    key?: unknown;
    tls?: { min_version?: unknown; max_version?: unknown; alpn?: unknown; groups?: unknown; ciphers?: unknown };
  };
  const k = s.capacity?.config;
  const key = k?.key ?? (typeof run.key === 'string' ? run.key : undefined);
  if (key !== undefined) out.key = key;
  const tlsMax = k?.tls_max_version ?? (typeof run.tls?.max_version === 'string' ? run.tls.max_version : undefined);
  const tlsMin = k?.tls_min_version ?? (typeof run.tls?.min_version === 'string' ? run.tls.min_version : undefined);
  if (tlsMin !== undefined && tlsMin !== null) out['tls min'] = tlsMin;
  if (tlsMax !== undefined && tlsMax !== null) out['tls max'] = tlsMax;
  if (Array.isArray(run.tls?.alpn)) out.alpn = run.tls.alpn.join(',');
  if (typeof run.tls?.groups === 'string') out['tls groups'] = run.tls.groups;
  if (typeof run.tls?.ciphers === 'string') out['tls ciphers'] = run.tls.ciphers;
  if (k !== undefined) {
    out['in-flight'] = String(k.in_flight);
    out.hold = `${k.hold_ms / 1000}s`;
  }
  return out;
}

/** Reads the arguments: each a summary.json (or a directory holding one), repeats joined by commas. */
export async function loadRuns(args: readonly string[], labels: readonly string[] | undefined): Promise<CompareRun[]> {
  if (args.length < 2) throw new UsageError(`give at least two summaries to compare, got ${args.length}`);
  if (labels !== undefined && labels.length !== args.length)
    throw new UsageError(`${labels.length} labels for ${args.length} runs`, '--labels');
  const runs: CompareRun[] = [];
  for (const arg of args) {
    const files = arg
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '')
      .map(summaryFile);
    if (files.length === 0) throw new UsageError(`"${arg}": no summary file named`);
    const summaries = await Promise.all(files.map((f) => readSummary(f)));
    const pooled = summaries.length === 1 ? summaries[0]! : mergeSummaries(summaries, files, { repeats: true });
    runs.push({
      label: '',
      files,
      summaries,
      pooled,
      capacities: summaries.map((s) => s.capacity).filter((c): c is Capacity => c !== undefined),
      settings: settingsOf(summaries[0]!),
    });
  }
  nameRuns(runs, labels);
  return runs;
}

function summaryFile(path: string): string {
  try {
    if (statSync(path).isDirectory()) return join(path, 'summary.json');
  } catch {
    // readSummary says what is wrong with it
  }
  return path;
}

/** Labels: given, else the settings that differ ("tls max TLSv1.2"), else the file's name. */
function nameRuns(runs: CompareRun[], labels: readonly string[] | undefined): void {
  // an embedded broker's port changes every run: not a difference worth a label
  const differing = differences(runs).filter(
    (d) => !(d.setting === 'target' && d.values.some((v) => v.startsWith('embedded'))),
  );
  runs.forEach((r, i) => {
    if (labels !== undefined) r.label = labels[i]!;
    else if (differing.length > 0 && differing.length <= 2)
      r.label = differing.map((d) => `${d.setting} ${d.values[i]}`).join(', ');
    else {
      const f = r.files[0]!;
      r.label = basename(f) === 'summary.json' ? basename(dirname(f)) : basename(f).replace(/\.json$/, '');
      if (r.files.length > 1) r.label += ` (×${r.files.length})`;
    }
  });
  const seen = new Map<string, number>();
  for (const r of runs) {
    const n = (seen.get(r.label) ?? 0) + 1;
    seen.set(r.label, n);
    if (n > 1) r.label = `${r.label} #${n}`;
  }
}

function differences(runs: readonly CompareRun[]): { setting: string; values: string[] }[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.settings)))];
  return keys
    .map((setting) => ({ setting, values: runs.map((r) => r.settings[setting] ?? '–') }))
    .filter((d) => new Set(d.values).size > 1);
}

function percentileRow(runs: readonly CompareRun[], phase: Phase | MessagePhase, p: number): MetricRow | null {
  const ecdfs = runs.map((r) => (measured(r.pooled, phase) > 0 ? Ecdf.fromHdr(r.pooled.latency[phase]!.hdr) : null));
  if (ecdfs.every((e) => e === null)) return null;
  const values = ecdfs.map((e) => (e === null ? null : e.quantile(p / 100)));
  const spread = runs.map((r) => {
    if (r.summaries.length < 2) return null;
    const v = r.summaries
      .filter((s) => measured(s, phase) > 0)
      .map((s) => Ecdf.fromHdr(s.latency[phase]!.hdr).quantile(p / 100));
    return v.length < 2 ? null : ([Math.min(...v), Math.max(...v)] as [number, number]);
  });
  const deltas = runs.map((_, i) => {
    const a = ecdfs[0];
    const b = ecdfs[i];
    if (i === 0 || a === null || a === undefined || b === null || b === undefined) return null;
    const ci = percentileDifference(a, b, p, 1 + i * 7919 + Math.round(p * 13));
    if (ci === null) return null;
    const sa = spread[0];
    const sb = spread[i];
    const repeats = sa !== null && sa !== undefined && sb !== null && sb !== undefined;
    const beyond = excludesZero(ci) && (!repeats || disjoint(sa, sb));
    return delta(values[0]!, values[i]!, ci, beyond, 'lower', repeats ? 'bootstrap and repeats' : 'bootstrap');
  });
  const metric = `p${p}`;
  return { group: phase, metric, unit: 'ms', better: 'lower', values, spread, deltas };
}

function failureRow(runs: readonly CompareRun[]): MetricRow {
  const counts = runs.map((r) => ({
    hits: r.pooled.counts.failed,
    n: r.pooled.counts.connected + r.pooled.counts.failed,
  }));
  const values = counts.map((c) => (c.n === 0 ? null : c.hits / c.n));
  const spread = runs.map((r) => {
    if (r.summaries.length < 2) return null;
    const v = r.summaries.map((s) => s.counts.failed / Math.max(1, s.counts.connected + s.counts.failed));
    return [Math.min(...v), Math.max(...v)] as [number, number];
  });
  const deltas = runs.map((_, i) => {
    if (i === 0) return null;
    const ci = proportionDifference(counts[0]!, counts[i]!);
    if (ci === null) return null;
    const sa = spread[0];
    const sb = spread[i];
    const beyond =
      excludesZero(ci) && (sa === null || sa === undefined || sb === null || sb === undefined || disjoint(sa, sb));
    return delta(values[0]!, values[i]!, ci, beyond, 'lower', 'proportions');
  });
  return { group: 'failures', metric: 'failure rate', unit: 'fraction', better: 'lower', values, spread, deltas };
}

/** Where a run's knee lies: from the lowest rate that held to the highest rate that broke (∞ for "at least"). */
export function kneeBracket(caps: readonly Capacity[]): [number, number] | null {
  const held = caps.filter((c) => c.max_rate !== null);
  if (held.length === 0) return null;
  const low = Math.min(...held.map((c) => c.max_rate!));
  const high = Math.max(...held.map((c) => (c.at_least || c.ceiling === null ? Infinity : c.ceiling)));
  return [low, high];
}

function capacityRow(runs: readonly CompareRun[]): MetricRow | null {
  if (runs.every((r) => r.capacities.length === 0)) return null;
  // a connect knee and a message knee are not one metric
  const units = new Set(runs.flatMap((r) => r.capacities.map(capacityUnit)));
  if (units.size > 1) return null;
  const values = runs.map((r) => {
    const v = r.capacities.map((c) => c.max_rate).filter((x): x is number => x !== null);
    return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
  });
  const brackets = runs.map((r) => kneeBracket(r.capacities));
  const spread = runs.map((r) => {
    const v = r.capacities.map((c) => c.max_rate).filter((x): x is number => x !== null);
    return v.length < 2 ? null : ([Math.min(...v), Math.max(...v)] as [number, number]);
  });
  const deltas = runs.map((_, i) => {
    const a = brackets[0];
    const b = brackets[i];
    if (i === 0 || a === null || a === undefined || b === null || b === undefined) return null;
    return delta(values[0]!, values[i]!, null, disjoint(a, b), 'higher', 'knee brackets');
  });
  const metric = units.has('messages/s') ? 'max message rate' : 'max connect rate';
  return { group: 'capacity', metric, unit: 'rate', better: 'higher', values, spread, deltas };
}

export function compareRuns(runs: CompareRun[]): Comparison {
  const rows: MetricRow[] = [];
  const cap = capacityRow(runs);
  if (cap !== null) rows.push(cap);
  for (const phase of PHASE_ORDER) {
    for (const p of PHASE_PERCENTILES[phase]) {
      const row = percentileRow(runs, phase, p);
      if (row !== null) rows.push(row);
    }
  }
  rows.push(failureRow(runs));
  rows.push(...streamRows(runs));
  const notes: string[] = [];
  const diffs = differences(runs);
  if (diffs.some((d) => d.setting === 'scenario'))
    notes.push('the runs come from different scenarios: differences may be the scenario’s, not the broker’s');
  if (diffs.some((d) => d.setting === 'executor'))
    notes.push(
      'the runs used different executors (a capacity search against a fixed-rate run, say): their latencies were measured under different loads',
    );
  for (const r of runs) {
    if (r.summaries.some((s) => s.generator.saturated))
      notes.push(
        `${r.label}: the generator was saturated, so its numbers describe the generator rather than the broker`,
      );
  }
  if (runs.some((r) => r.summaries.length < 2)) {
    notes.push(
      'noise is estimated by a bootstrap over each run’s own latencies; ' +
        'stalls shared by many attempts make runs vary more than that, ' +
        'so repeat each configuration (a1.json,a2.json,a3.json) to measure run-to-run noise',
    );
  }
  return { runs, rows, differences: diffs, notes };
}
