/**
 * The formatting of numbers in every output (console, HTML, junit.xml) and in the capacity
 * and comparison views: counts, percentages, bytes, durations, rates, times, padding.
 */
import { parseThreshold } from '../judge/thresholds.js';
import { formatMs } from '../model/units.js';
import type { ThresholdResult } from '../model/summary.js';

/** 12345 → "12,345" */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A fraction as a percentage: 0.0123 → "1.23%" */
export function percent(fraction: number): string {
  const p = fraction * 100;
  return `${p === 0 || p >= 10 ? p.toFixed(p === 0 ? 0 : 1) : p.toFixed(2)}%`;
}

/** No value: the placeholder of the HTML pages (the console passes '-'). */
export const NONE = '–';

/** Milliseconds in the unit that reads best (formatMs), or `none` when there is no value. */
export function ms(v: number | null, none = NONE): string {
  return v === null ? none : formatMs(v);
}

/** A rate's number, one decimal at most: 310 → "310", 312.46 → "312.5". */
export function rateNumber(r: number): string {
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

/** A rate per second: 310 → "310/s", or `none` when there is no value. */
export function rate(r: number | null, none = NONE): string {
  return r === null ? none : `${rateNumber(r)}/s`;
}

/** An ISO time as "2025-01-02 03:04:05 UTC" (unparseable: as given). */
export function utcTime(iso: string): string {
  return Number.isFinite(Date.parse(iso))
    ? new Date(iso)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : iso;
}

/** "a", "a and b", "a, b and c" */
export function andList(items: readonly string[]): string {
  const last = items.at(-1) ?? '';
  return items.length <= 1 ? last : `${items.slice(0, -1).join(', ')} and ${last}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** The observed value of a threshold in its own unit: "p(99)=612ms", "rate=2.1%", "count=3". */
export function describeThreshold(t: ThresholdResult): string {
  const parsed = parseThreshold(t.metric, t.expression);
  if (!parsed.ok) return t.value === null ? 'no data' : `value=${t.value}`;
  const a = parsed.value.aggregation;
  const label = a.kind === 'p' ? `p(${a.percentile})` : a.kind;
  if (t.value === null) return `${label}: no data`;
  if (a.kind === 'count') return `${label}=${int(t.value)}`;
  if (a.kind === 'rate') return `${label}=${percent(t.value)}`;
  return `${label}=${formatMs(t.value)}`;
}

/** Pads to a width (left-aligned text). */
export const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
/** Pads to a width (right-aligned numbers). */
export const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** Milliseconds for the latency table: 3 significant figures, at least 2 decimals below 1 ms. */
export function tableMs(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}
