/**
 * Strict parsers for the units users write in scenarios, flags and thresholds:
 * durations (`500ms`, `30s`, `2m`, `1h`, `1m30s`), rates (`200/s`) and percentages (`1%`).
 *
 * Strict means: digits, an optional decimal part, then the unit, with nothing in between.
 * `10 s`, `1e3ms`, `-1s`, `+1s`, `.5s`, `1.s` are all rejected with a message that says why.
 * The parsers return a result instead of throwing, so a caller can collect every error of
 * a file at once and attach its own position (file:line:col) or flag name.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const err = (error: string): Parsed<never> => ({ ok: false, error });

const NUMBER = /^\d+(?:\.\d+)?$/;
/** Milliseconds per duration unit, largest first (composites must go in this order). */
const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
  ['us', 0.001],
];
const DURATION_EXAMPLE = 'a duration like 500ms, 30s, 2m, 1h or 1m30s';

/** Explains why a number-with-unit is malformed, or returns null when the shape is fine. */
function shapeProblem(text: string, example: string): string | null {
  if (text.length === 0) return `empty value: expected ${example}`;
  if (/\s/.test(text)) return `"${text}": no spaces allowed; expected ${example}`;
  if (text.startsWith('-')) return `"${text}": must not be negative`;
  if (text.startsWith('+')) return `"${text}": no sign allowed; expected ${example}`;
  if (/^\d*\.?\d*e[+-]?\d/i.test(text)) return `"${text}": exponent notation is not allowed; expected ${example}`;
  if (/^\.|\.(?!\d)/.test(text)) return `"${text}": a decimal point needs digits on both sides`;
  return null;
}

export interface DurationOptions {
  /** The unit of a bare number (thresholds use `ms`); when absent a bare number is an error. */
  bareUnit?: 'ms' | 's';
}

/** Parses a duration into milliseconds. */
export function parseDuration(text: string, options: DurationOptions = {}): Parsed<number> {
  const problem = shapeProblem(text, DURATION_EXAMPLE);
  if (problem !== null) return err(problem);
  if (NUMBER.test(text)) {
    if (options.bareUnit === undefined) return err(`"${text}": missing unit; expected ${DURATION_EXAMPLE}`);
    return ok(Number(text) * (options.bareUnit === 's' ? 1000 : 1));
  }
  const part = /(\d+(?:\.\d+)?)([a-zµ]+)/gy;
  let total = 0;
  let lastRank = -1;
  let end = 0;
  for (let m = part.exec(text); m !== null; m = part.exec(text)) {
    const unit = m[2] === 'µs' ? 'us' : (m[2] ?? '');
    const rank = DURATION_UNITS.findIndex(([u]) => u === unit);
    if (rank < 0) return err(`"${text}": unknown unit "${m[2]}"; expected one of h, m, s, ms, us`);
    if (rank <= lastRank) return err(`"${text}": units must go from largest to smallest, each once (like 1m30s)`);
    lastRank = rank;
    total += Number(m[1]) * (DURATION_UNITS[rank]?.[1] ?? 0);
    end = part.lastIndex;
  }
  if (end !== text.length) return err(`"${text}": expected ${DURATION_EXAMPLE}`);
  return ok(total);
}

const RATE_UNITS: Record<string, number> = { s: 1, m: 1 / 60, h: 1 / 3600 };
const RATE_EXAMPLE = 'a rate like 200/s';

/** Parses a rate into events per second (`200/s`, `600/m`). */
export function parseRate(text: string): Parsed<number> {
  const problem = shapeProblem(text, RATE_EXAMPLE);
  if (problem !== null) return err(problem);
  const m = /^(\d+(?:\.\d+)?)\/([a-z]+)$/.exec(text);
  if (m === null) {
    if (NUMBER.test(text)) return err(`"${text}": missing unit; expected ${RATE_EXAMPLE}`);
    return err(`"${text}": expected ${RATE_EXAMPLE}`);
  }
  const per = RATE_UNITS[m[2] ?? ''];
  if (per === undefined) return err(`"${text}": unknown unit "/${m[2]}"; expected /s, /m or /h`);
  return ok(Number(m[1]) * per);
}

/** Parses a percentage into a fraction: `1%` → 0.01. At most 100%. */
export function parsePercent(text: string): Parsed<number> {
  const problem = shapeProblem(text, 'a percentage like 1% or 0.5%');
  if (problem !== null) return err(problem);
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (m === null) {
    if (NUMBER.test(text)) return err(`"${text}": missing %; expected a percentage like 1% or 0.5%`);
    return err(`"${text}": expected a percentage like 1% or 0.5%`);
  }
  const value = Number(m[1]);
  if (value > 100) return err(`"${text}": a percentage cannot exceed 100%`);
  return ok(value / 100);
}

/** Parses a plain non-negative decimal number (no sign, no exponent). */
export function parsePlainNumber(text: string): Parsed<number> {
  const problem = shapeProblem(text, 'a number like 0, 10 or 0.5');
  if (problem !== null) return err(problem);
  if (!NUMBER.test(text)) return err(`"${text}": expected a number like 0, 10 or 0.5`);
  return ok(Number(text));
}

/** Formats milliseconds for people: `850µs`, `12.3ms`, `1.25s`, `2m05s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 10) return `${trim(ms.toFixed(2))}ms`;
  if (ms < 1000) return `${trim(ms.toFixed(1))}ms`;
  if (ms < 60_000) return `${trim((ms / 1000).toFixed(2))}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function trim(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** Throwing forms for command-line flags (wrap the message in a UsageError naming the flag). */
function orThrow<T>(p: Parsed<T>): T {
  if (!p.ok) throw new Error(p.error);
  return p.value;
}
export const parseDurationMs = (text: string, options?: DurationOptions): number =>
  orThrow(parseDuration(text, options));
export const parseRatePerSecond = (text: string): number => orThrow(parseRate(text));
export const parsePercentFraction = (text: string): number => orThrow(parsePercent(text));
