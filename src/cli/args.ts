/** Strict argument parsing: unknown flags and missing values are usage errors (exit 2). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { parseDurationMs, parseRatePerSecond } from '../model/units.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: OptionSpec, allowPositionals = false): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/^.*?: /, '') : String(e);
    throw new UsageError(msg.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireStr(p: Parsed, name: string): string {
  const v = str(p, name);
  if (v === undefined || v === '') throw new UsageError('is required', `--${name}`);
  return v;
}

export function bool(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A positive integer flag (strict: no "1e3", no "10k", no "3.5"). */
export function positiveInt(p: Parsed, name: string, dflt?: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return dflt;
  return parsePositiveInt(v, `--${name}`);
}

export function nonNegativeInt(p: Parsed, name: string, dflt?: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw new UsageError(`expected a non-negative integer, got "${v}"`, `--${name}`);
  return Number(v);
}

function parsePositiveInt(v: string, what: string): number {
  if (!/^[1-9]\d*$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw new UsageError(`expected a positive integer, got "${v}"`, what);
  return Number(v);
}

export function list(p: Parsed, name: string): string[] | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A duration flag (500ms, 30s, 2m) in ms, or `dflt` when not given. */
export function duration(p: Parsed, name: string, dflt: number): number;
export function duration(p: Parsed, name: string, dflt: undefined): number | undefined;
export function duration(p: Parsed, name: string, dflt: number | undefined): number | undefined {
  const v = str(p, name);
  if (v === undefined) return dflt;
  try {
    return parseDurationMs(v);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), `--${name}`);
  }
}

/** A rate flag (200/s), or 'max' when `max` is allowed. */
export function rate(p: Parsed, name: string): number | 'max' | undefined {
  const v = str(p, name);
  if (v === undefined || v === 'max') return v;
  try {
    return parseRatePerSecond(v);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), `--${name}`);
  }
}

/** A ratio flag from 0 to 1 (0.5). */
export function ratio(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(v))
    throw new UsageError(`expected a ratio from 0 to 1 like 0.5, got "${v}"`, `--${name}`);
  return Number(v);
}

/** A percentage flag that may exceed 100% (a regression allowance of 200% is a 3× slowdown). */
export function percent(p: Parsed, name: string, dflt: number): number {
  const v = str(p, name);
  if (v === undefined) return dflt;
  if (!/^\d+(\.\d+)?%$/.test(v))
    throw new UsageError(`expected a percentage like 10% or 2.5%, got "${v}"`, `--${name}`);
  return Number(v.slice(0, -1)) / 100;
}
