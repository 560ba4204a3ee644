/**
 * Default gates: what every run is held to without being asked, so a CI job that sets no
 * threshold still fails (exit 99) when nothing connected, when more than 1% of the good
 * devices' connects failed, or when the broker ended more than 1% of the sessions early;
 * with traffic that has receivers, also when more than 1% of the expected deliveries never
 * came (a run that lost every message does not pass).
 * A scenario or a flag replaces a metric's gates (an empty list turns them off), an
 * executor may adjust them to what it does (a storm drops sessions on purpose), and
 * `--no-default-gates` drops them all. They appear in `thresholds` marked `default`.
 */
import { parseThresholds, type Threshold, type ThresholdError } from './thresholds.js';

export const DEFAULT_GATES: Readonly<Record<string, readonly string[]>> = {
  connected: ['count > 0'],
  connect_failures: ['rate <= 0.01'],
  session_drops: ['rate <= 0.01'],
};

/** The default gates of a run whose traffic has receivers (subscribers, or controllers awaiting responses). */
export const TRAFFIC_GATES: Readonly<Record<string, readonly string[]>> = {
  message_loss: ['rate <= 0.01'],
};

export interface GateOptions {
  /** false: no default gate at all */
  defaults: boolean;
  /** the run's traffic expects deliveries: the traffic gates apply too */
  deliveries?: boolean | undefined;
  /** the executor's adjustments, metric by metric (an empty list: no gate for that metric) */
  executor?: Readonly<Record<string, readonly string[]>> | undefined;
}

/** The default gates the user's thresholds leave in place (each metric the user gave replaces its defaults), parsed. */
export function defaultGates(user: Readonly<Record<string, readonly string[]>>, o: GateOptions): Threshold[] {
  if (!o.defaults) return [];
  const defaults: Record<string, readonly string[]> = {
    ...DEFAULT_GATES,
    ...(o.deliveries === true ? TRAFFIC_GATES : {}),
    ...(o.executor ?? {}),
  };
  for (const metric of Object.keys(user)) delete defaults[metric];
  const gates = parseThresholds(defaults);
  // the defaults are ours: a problem in them is a bug, not the user's input
  if (gates.errors.length > 0) throw new Error(`default gates: ${gates.errors.map((e) => e.message).join('; ')}`);
  return gates.thresholds.map((t) => ({ ...t, default: true }));
}

/** The user's thresholds, then the default gates they leave in place. */
export function runThresholds(
  user: Readonly<Record<string, readonly string[]>>,
  o: GateOptions,
): { thresholds: Threshold[]; errors: ThresholdError[] } {
  const own = parseThresholds(user);
  return { thresholds: [...own.thresholds, ...defaultGates(user, o)], errors: own.errors };
}
