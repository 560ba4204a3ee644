/**
 * src/load: the executors (how a run loads the broker) and the registry that knows them.
 * Each executor is one module behind the Executor interface (executor.ts); adding one is
 * its module and one line in EXECUTORS. Nothing outside this folder names an executor.
 */
import { UsageError } from '../errors.js';
import type { Summary } from '../model/summary.js';
import type { JsonSchema } from '../util/json-schema.js';
import type { AnyExecutor, ConfigProblem, Explanation, LoadConfig, LoadFlags, Parsed, RunShape } from './executor.js';
import { arrivalRate } from './arrival-rate.js';
import { rampingArrivalRate } from './ramping-arrival-rate.js';
import { constantConnections } from './constant-connections.js';
import { reconnectStorm } from './reconnect-storm.js';
import { closedLoop } from './closed-loop.js';
import { explainRecovery } from './reconnect.js';

const EXECUTORS = new Map<string, AnyExecutor>();

/** Adds an executor (the built-in ones below; a test may add its own). Its name must be new. */
export function registerExecutor(e: AnyExecutor): void {
  if (EXECUTORS.has(e.name)) throw new Error(`an executor named "${e.name}" is already registered`);
  EXECUTORS.set(e.name, e);
}

registerExecutor(arrivalRate);
registerExecutor(rampingArrivalRate);
registerExecutor(constantConnections);
registerExecutor(reconnectStorm);
registerExecutor(closedLoop);

/** The executor of a run given no executor at all. */
const DEFAULT = arrivalRate;
export const DEFAULT_EXECUTOR = DEFAULT.name;
export { DEFAULT_RATE } from './arrival-rate.js';
/** `rate: max` / `--rate max` is the closed loop, for the configs of these executors (others refuse it). */
const MAX_RATE = { executor: closedLoop, from: new Set([arrivalRate.name, closedLoop.name]) };

export function executorNames(): string[] {
  return [...EXECUTORS.keys()];
}

/** The executor of a config (or of a name); throws for one that is not registered. */
export function executorOf(c: LoadConfig | string): AnyExecutor {
  const name = typeof c === 'string' ? c : c.executor;
  const e = EXECUTORS.get(name);
  if (e === undefined)
    throw new UsageError(`unknown executor "${name}"; expected one of ${executorNames().join(', ')}`, '--executor');
  return e;
}

/** Keys of `load:` that every executor takes. */
const COMMON: Record<string, JsonSchema> = {
  hold: { type: 'string', format: 'duration', description: 'how long each connection stays up after CONNACK' },
  in_flight: { type: 'integer', minimum: 1, description: 'cap on connects between start and CONNACK' },
  reconnect: {
    description:
      'devices that fail to connect or lose their session try again with backoff (true: 1s…128s, full jitter)',
    anyOf: [
      { type: 'boolean' },
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          initial: { type: 'string', format: 'duration', description: 'first backoff (default 1s)' },
          max: { type: 'string', format: 'duration', description: 'backoff cap (default 128s)' },
          jitter: { type: 'string', enum: ['full', 'equal', 'none'], description: 'default full' },
          attempts: { type: 'integer', minimum: 1, description: 'retries per device before it gives up (default 10)' },
        },
      },
    ],
  },
};

/** The schema of a scenario's `load:` section: one branch per executor, chosen by `executor`. */
export function loadSchema(): JsonSchema {
  return {
    description: 'how the devices connect: one of the executors',
    oneOf: [...EXECUTORS.values()].map((e) => ({
      type: 'object',
      additionalProperties: false,
      description: e.description,
      required: ['executor', ...(e.required ?? [])],
      properties: { executor: { const: e.name }, ...COMMON, ...e.schema },
    })),
  };
}

/** A scenario's `load:` section (checked against loadSchema()) → the config of its executor. */
export function loadFromScenario(raw: Readonly<Record<string, unknown>>): Parsed<LoadConfig> {
  const name = String(raw.executor);
  if (raw.rate === 'max' && MAX_RATE.from.has(name)) return MAX_RATE.executor.fromScenario(raw);
  return executorOf(name).fromScenario(raw);
}

/**
 * The load a run's flags ask for, over the scenario's (`base`). `--executor` picks an
 * executor (replacing the scenario's); `--rate max` asks for the closed loop; else the
 * scenario's executor, or the default one, takes the flags.
 */
export function loadFromFlags(
  executor: string | undefined,
  flags: LoadFlags,
  base: LoadConfig | undefined,
  run: RunShape,
): LoadConfig {
  const chosen = executor === undefined ? (base === undefined ? DEFAULT : executorOf(base)) : executorOf(executor);
  const own = base !== undefined && base.executor === chosen.name ? base : undefined;
  if (flags.rate === 'max') {
    if (!MAX_RATE.from.has(chosen.name))
      throw new UsageError(`max (the closed loop) does not apply to the ${chosen.name} executor`, '--rate');
    const durationMs = (own as { durationMs?: number } | undefined)?.durationMs;
    return MAX_RATE.executor.fromFlags(flags, { executor: 'closed-loop', durationMs }, run);
  }
  return chosen.fromFlags(flags, own, run);
}

/** Every problem of a resolved config. */
export function validateLoad(c: LoadConfig, run: RunShape): ConfigProblem[] {
  return executorOf(c).validate(c, run);
}

/** The load of an open loop at a constant rate: what a capacity search steps through. */
export function constantRateLoad(rate: number, durationMs: number | undefined): LoadConfig {
  return arrivalRate.fromFlags({ rate, durationMs }, undefined, { devices: 1, inFlight: 1, holdMs: 0 });
}

/** What the executor of a summary's run adds to it, in words. */
export function explainLoad(s: Summary): Explanation[] {
  const e = EXECUTORS.get(s.run.executor);
  // an executor of its own explains its results; any other run with reconnects shows how they went
  const x = e?.explain !== undefined ? e.explain(s) : explainRecovery(s.recovery);
  return x === undefined ? [] : [x];
}

/** `--executor` help: every executor and what it does. */
export function executorHelp(): string {
  return [...EXECUTORS.values()].map((e) => `    ${e.name.padEnd(22)} ${e.description}`).join('\n');
}
