/** Strict argument parsing: unknown flags and missing values are usage errors (exit 2). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

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

export function parsePositiveInt(v: string, what: string): number {
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
