/**
 * The rows of a comparison: a run (its repeats pooled), one metric's values and its changes
 * against the first run, and how a change is judged beyond noise.
 */
import type { Capacity } from '../model/capacity.js';
import type { Summary } from '../model/summary.js';
import type { Interval } from './noise.js';

export interface CompareRun {
  label: string;
  files: string[];
  /** the repeats of this configuration (one summary when not repeated) */
  summaries: Summary[];
  /** the repeats' histograms and counters pooled */
  pooled: Summary;
  /** the capacity searches among the repeats */
  capacities: Capacity[];
  /** settings that tell runs apart (target, protocol, key type, TLS versions, …) */
  settings: Record<string, string>;
}

export type Noise = 'bootstrap' | 'bootstrap and repeats' | 'knee brackets' | 'proportions' | 'counts';

export interface Delta {
  /** this run − the reference */
  delta: number;
  /** delta / |reference|; null when the reference is 0 */
  relative: number | null;
  /** 95% interval of the difference; null when there is none (knee brackets) */
  ci: [number, number] | null;
  beyondNoise: boolean;
  verdict: 'better' | 'worse' | 'same';
  noise: Noise;
}

export interface MetricRow {
  /** connect, tcp, tls, connack, subscribe, publish_ack, delivery, command_rtt, failures, capacity, stream <name> */
  group: string;
  metric: string;
  unit: 'ms' | 'fraction' | 'rate';
  better: 'lower' | 'higher';
  /** per run (pooled over repeats) */
  values: (number | null)[];
  /** per run: the lowest and highest of its repeats, or null without repeats */
  spread: ([number, number] | null)[];
  /** per run against the reference (null for the reference itself, or without data) */
  deltas: (Delta | null)[];
}

export interface Comparison {
  runs: CompareRun[];
  rows: MetricRow[];
  /** settings whose values differ between the runs */
  differences: { setting: string; values: string[] }[];
  /** things to keep in mind reading the comparison */
  notes: string[];
}

export function verdictOf(delta: number, beyond: boolean, better: 'lower' | 'higher'): Delta['verdict'] {
  if (!beyond || delta === 0) return 'same';
  return (better === 'lower') === delta < 0 ? 'better' : 'worse';
}

export function delta(
  ref: number,
  value: number,
  ci: Interval | null,
  beyond: boolean,
  better: 'lower' | 'higher',
  noise: Noise,
): Delta {
  const d = value - ref;
  return {
    delta: d,
    relative: ref === 0 ? null : d / Math.abs(ref),
    ci: ci === null ? null : [ci.low, ci.high],
    beyondNoise: beyond,
    verdict: verdictOf(d, beyond, better),
    noise,
  };
}

export const disjoint = (a: [number, number], b: [number, number]): boolean => a[1] < b[0] || b[1] < a[0];
