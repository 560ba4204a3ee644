/**
 * The executor plug-in interface: everything the rest of mqtt-herd asks of a way to load a
 * broker. An executor is one module (its config, its scenario schema fragment, parsing and
 * validation, its schedule, its shard split, its peak concurrency, the policy it applies
 * while the run goes on and how it explains itself) registered by one line in registry.ts.
 */
import { UsageError } from '../errors.js';
import { parseDurationMs, parseRatePerSecond } from '../model/units.js';
import type { JsonSchema } from '../util/json-schema.js';
import type { Summary } from '../model/summary.js';
import type { Schedule } from './schedule.js';
import type { LoadPolicy, PolicyContext } from './policy.js';

/** Every executor's config carries its name; the rest is its own. */
export interface LoadConfig {
  readonly executor: string;
}

/** A problem in an executor's configuration: the key path under `load` and what is wrong. */
export interface ConfigProblem {
  /** e.g. ['rate'], ['stages', 0, 'target'] */
  path: (string | number)[];
  message: string;
}

export type Parsed<C> = { ok: true; config: C } | { ok: false; problems: ConfigProblem[] };

/** What a run is, besides its load, as far as an executor needs to know. */
export interface RunShape {
  devices: number;
  /** cap on connects between start and CONNACK */
  inFlight: number;
  /** ms a connection stays up after CONNACK (Infinity: until the run ends) */
  holdMs: number;
  /** the longest an attempt can take to connect (the phase timeouts added up; default 40 s) */
  connectMs?: number;
}

/**
 * The load flags of `herd run`, as given (undefined: not given). `rate` is connects per
 * second; 'max' asks for the closed loop (the registry decides which executor that is).
 */
export interface LoadFlags {
  rate?: number | 'max' | undefined;
  durationMs?: number | undefined;
  connections?: number | undefined;
}

/** The scenario key each load flag sets: a problem at that key is the flag's when the flag was given. */
export const FLAG_KEYS: Readonly<Record<keyof LoadFlags, { key: string; flag: string }>> = {
  rate: { key: 'rate', flag: '--rate' },
  durationMs: { key: 'duration', flag: '--duration' },
  connections: { key: 'connections', flag: '--connections' },
};

/** One shard's share of a run: its slice of the devices, of the connections and of every rate. */
export interface ShardShare {
  index: number;
  count: number;
  /** this shard's devices / all devices */
  fraction: number;
  /** this shard's part of `n` items split over the shards (contiguous, differing by at most one) */
  part(n: number): number;
}

/** A section an executor adds to the console summary and the HTML report, in words and one table. */
export interface Explanation {
  /** anchor in the HTML report, and the label of its lines in the console summary */
  id: string;
  title: string;
  /** a short figure after the title ("298 of 300 back") */
  headline: string;
  /** what happened, in a sentence or two */
  text: string;
  table: { head: [string, string]; rows: [string, string][] };
  /** the console summary's lines */
  lines: string[];
}

export interface Executor<C extends LoadConfig = LoadConfig> {
  readonly name: string;
  /** one line for `herd run --help` */
  readonly description: string;
  /** JSON Schema of this executor's own keys in a scenario's `load:` section */
  readonly schema: Readonly<Record<string, JsonSchema>>;
  /** keys a scenario must give (besides `executor`) */
  readonly required?: readonly string[];
  /** connections are held until the run ends: `hold` does not apply */
  readonly holdsUntilEnd: boolean;
  /** `reconnect` (retries with backoff) applies; false where the executor reconnects its own way or not at all */
  readonly acceptsReconnect: boolean;
  /** `load:` of a scenario (already checked against the schema) → config */
  fromScenario(raw: Readonly<Record<string, unknown>>): Parsed<C>;
  /** the flags → config; `base`: this executor's config from the scenario (flags override it). Throws UsageError. */
  fromFlags(flags: LoadFlags, base: C | undefined, run: RunShape): C;
  /** every problem of a resolved config, at once */
  validate(c: C, run: RunShape): ConfigProblem[];
  schedule(c: C, run: RunShape): Schedule;
  /** the config one shard runs: its share of the connections and rates */
  shard(c: C, share: ShardShare): C;
  /** connections open at once at the peak (held and in flight) */
  peakConnections(c: C, run: RunShape): number;
  /** devices connect more than once: keep their TLS contexts */
  reuseDevices(c: C): boolean;
  /** end the run this long after its start even while connections are held (ms) */
  endAfterMs?(c: C): number | undefined;
  /** what the coordinator applies while the run goes on (replacing drops, a storm); none: the schedule alone */
  policy?(c: C, ctx: PolicyContext): LoadPolicy;
  /** default gates this executor changes (judge/gates.ts), metric by metric; an empty list: none for that metric */
  gates?(c: C): Record<string, string[]>;
  /** the config in a few words, for the console and the report */
  describe(c: C): string;
  /** what this executor adds to the summary, in words; undefined when it adds nothing */
  explain?(s: Summary): Explanation | undefined;
}

/** An executor with its config type erased, as the registry holds it. */
export type AnyExecutor = Executor<LoadConfig>;

/** A problem per key path, as `path: message`. */
export function problemText(p: ConfigProblem, prefix = 'load'): string {
  const path = [prefix, ...p.path].map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
  return `${path}: ${p.message}`;
}

/** Checks shared by several executors. */
export const check = {
  rate(v: number, path: (string | number)[], out: ConfigProblem[], allowZero = false): void {
    if (!Number.isFinite(v) || (allowZero ? v < 0 : v <= 0))
      out.push({ path, message: allowZero ? 'expected a rate of 0/s or more' : 'expected a rate above 0/s' });
  },
  positiveInt(v: number, path: (string | number)[], out: ConfigProblem[], what = 'a positive whole number'): void {
    if (!Number.isInteger(v) || v < 1) out.push({ path, message: `expected ${what}` });
  },
  duration(v: number | undefined, path: (string | number)[], out: ConfigProblem[]): void {
    if (v !== undefined && !(v > 0)) out.push({ path, message: 'expected a duration above 0' });
  },
  /** connections kept up: a positive number, no more than the devices */
  connections(n: number, run: RunShape, out: ConfigProblem[]): void {
    check.positiveInt(n, ['connections'], out);
    if (n > run.devices)
      out.push({ path: ['connections'], message: `${n} connections need at least as many devices (${run.devices})` });
  },
};

/** One shard's part of the connections an executor keeps up (and its share of their rate). */
export function shardConnections<C extends { connections: number; rate: number }>(c: C, share: ShardShare): C {
  const n = share.part(c.connections);
  if (n === 0)
    throw new UsageError(
      `${share.count} shards need at least as many connections (the run keeps ${c.connections})`,
      '--shard-count',
    );
  return { ...c, connections: n, rate: c.rate * share.fraction };
}

/** Throws, naming the flag, for a load flag an executor does not take. */
export function refuseFlags(executor: string, flags: LoadFlags, which: (keyof LoadFlags)[], why = ''): void {
  for (const k of which) {
    if (flags[k] !== undefined)
      throw new UsageError(`does not apply to the ${executor} executor${why}`, FLAG_KEYS[k].flag);
  }
}

/**
 * Values of a scenario's `load:` section, already checked against the schema (a duration is
 * a string like 30s, a rate a string like 200/s or, where the schema allows, a number).
 */
export const scenarioValue = {
  duration(v: unknown): number | undefined {
    return v === undefined ? undefined : parseDurationMs(v as string);
  },
  rate(v: unknown): number {
    return typeof v === 'number' ? v : parseRatePerSecond(v as string);
  },
};
