/**
 * src/traffic: what connected devices do — message streams behind one interface
 * (stream.ts), one module per kind, and this registry. A scenario's `traffic:` is a list of
 * streams; the flags `--publish-every`/`--messages`/`--qos`/`--payload`/`--topic` make one
 * telemetry stream. Nothing outside this folder names a stream kind.
 */
import { UsageError } from '../errors.js';
import type { JsonSchema } from '../util/json-schema.js';
import type { ConfigProblem } from '../load/executor.js';
import type { StreamPlan } from '../metrics/messages.js';
import { filterCoverage } from './topics.js';
import type { AnyStream, Parsed, StreamConfig, TrafficShape } from './stream.js';
import { telemetry, type TelemetryConfig } from './telemetry.js';
import { commands } from './commands.js';
import { subscribers, type SubscribersConfig } from './subscribers.js';

const STREAMS = new Map<string, AnyStream>();

/** Adds a stream kind (the built-in ones below; a test may add its own). */
export function registerStream(s: AnyStream): void {
  if (STREAMS.has(s.kind)) throw new Error(`a stream kind "${s.kind}" is already registered`);
  STREAMS.set(s.kind, s);
}

registerStream(telemetry);
registerStream(commands);
registerStream(subscribers);

export function streamOf(c: StreamConfig | string): AnyStream {
  const kind = typeof c === 'string' ? c : c.kind;
  const s = STREAMS.get(kind);
  if (s === undefined)
    throw new UsageError(`unknown stream kind "${kind}"; expected one of ${[...STREAMS.keys()].join(', ')}`);
  return s;
}

/** Streams in a run: at most 256 (the header's stream index is a byte). */
export const MAX_STREAMS = 256;

/** The schema of a scenario's `traffic:` list: one branch per stream kind, chosen by `kind`. */
export function trafficSchema(): JsonSchema {
  return {
    type: 'array',
    description: 'what devices do once connected: a list of streams',
    items: {
      oneOf: [...STREAMS.values()].map((s) => ({
        type: 'object',
        additionalProperties: false,
        description: s.description,
        required: ['kind', ...(s.required ?? [])],
        properties: {
          kind: { const: s.kind },
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'its label in results' },
          ...s.schema,
        },
      })),
    },
  };
}

/**
 * A scenario's `traffic:` list (checked against trafficSchema()) → configs; names default
 * to the kind, numbered when a kind repeats. Problems carry [index, ...path].
 */
export function trafficFromScenario(list: readonly Readonly<Record<string, unknown>>[]): Parsed<StreamConfig[]> {
  const problems: ConfigProblem[] = [];
  const configs: StreamConfig[] = [];
  const used = new Map<string, number>();
  list.forEach((raw, i) => {
    const kind = String(raw.kind);
    const n = (used.get(kind) ?? 0) + 1;
    used.set(kind, n);
    const name = typeof raw.name === 'string' ? raw.name : n === 1 ? kind : `${kind}-${n}`;
    const parsed = streamOf(kind).fromScenario(raw, name);
    if (parsed.ok) configs.push(parsed.config);
    else for (const p of parsed.problems) problems.push({ path: [i, ...p.path], message: p.message });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: configs };
}

/** Every problem of a run's traffic, each with [index, ...path]. */
export function validateTraffic(traffic: readonly StreamConfig[], run: TrafficShape): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (traffic.length > MAX_STREAMS) problems.push({ path: [], message: `at most ${MAX_STREAMS} streams` });
  const names = new Set<string>();
  traffic.forEach((c, i) => {
    if (names.has(c.name)) problems.push({ path: [i, 'name'], message: `"${c.name}" names another stream too` });
    names.add(c.name);
    for (const p of streamOf(c).validate(c, run)) problems.push({ path: [i, ...p.path], message: p.message });
  });
  problems.push(...partialFilters(traffic));
  return problems;
}

/** The one telemetry stream of `--publish-every` and its flags. */
export function telemetryFromFlags(f: {
  everyMs: number;
  messages: number | undefined;
  qos: 0 | 1 | 2 | undefined;
  payload: number | undefined;
  topic: string | undefined;
}): TelemetryConfig {
  const parsed = telemetry.fromScenario({ every: '1s' }, 'telemetry');
  if (!parsed.ok) throw new Error('the default telemetry stream does not parse');
  const size = f.payload ?? 256;
  return {
    ...parsed.config,
    everyMs: f.everyMs,
    count: f.messages,
    qos: f.qos ?? 0,
    payload: { kind: 'size', min: size, max: size },
    topic: f.topic ?? parsed.config.topic,
  };
}

/**
 * How many receivers each message of a publishing stream reaches: the subscribers whose
 * filter matches every device's topic (a shared subscription group counts once; a filter
 * matching only some devices is refused by validateTraffic). 0 for streams that publish
 * nothing to subscribers.
 */
export function receiversOf(traffic: readonly StreamConfig[], index: number): number {
  const c = traffic[index];
  if (c === undefined || c.kind !== telemetry.kind) return 0;
  let n = 0;
  for (const s of traffic) {
    if (s.kind !== subscribers.kind) continue;
    const sub = s as SubscribersConfig;
    if (coverage(sub, c as TelemetryConfig) === 'all') n += sub.filter.startsWith('$share/') ? 1 : sub.count;
  }
  return n;
}

const coverage = (sub: SubscribersConfig, t: TelemetryConfig) =>
  filterCoverage(sub.filter, t.topic, { shard: 0, stream: t.name });

/**
 * Subscribers whose filter matches some devices' telemetry topics and not others: loss is
 * counted per message × the receivers it reaches, so such a count would be wrong.
 */
function partialFilters(traffic: readonly StreamConfig[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  traffic.forEach((s, i) => {
    if (s.kind !== subscribers.kind) return;
    const sub = s as SubscribersConfig;
    for (const t of traffic) {
      if (t.kind !== telemetry.kind || coverage(sub, t as TelemetryConfig) !== 'some') continue;
      problems.push({
        path: [i, 'filter'],
        message:
          `"${sub.filter}" matches the topic "${(t as TelemetryConfig).topic}" of stream "${t.name}" for some ` +
          'devices only; loss is counted per message × the subscribers it reaches, so a filter must match every ' +
          "device's topic of a stream or none: put + (or #) at the device's level",
      });
    }
  });
  return problems;
}

/** Streams and what they do, for `herd run --help`. */
export function streamHelp(): string {
  return [...STREAMS.values()].map((s) => `    ${s.kind.padEnd(14)} ${s.description}`).join('\n');
}

/** What the summary needs of each stream, in run order (the header's stream index). */
export function streamPlans(traffic: readonly StreamConfig[]): StreamPlan[] {
  return traffic.map((c, i) => ({
    name: c.name,
    qos: streamOf(c).qos(c),
    // a command's one expected delivery is its response; telemetry's, the subscribers it reaches
    receivers: c.kind === commands.kind ? 1 : receiversOf(traffic, i),
  }));
}
