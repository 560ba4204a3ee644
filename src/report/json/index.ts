/**
 * summary.json: written pretty-printed with a stable key order (the order of the contract,
 * then any other keys alphabetically; maps such as failure reasons alphabetically), and
 * read back with validation: a bad file is an InputError naming it (exit 2).
 */
import { readFile } from 'node:fs/promises';
import { InputError, InputErrors } from '../../errors.js';
import type { Summary, WithSeries } from '../../model/summary.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { createHistogram, encodeHistogram, latencyStats } from '../../metrics/hdr.js';
import { summaryProblems } from './validate.js';

/** Key order per JSON path ('[]' stands for any array element). Unlisted keys follow, sorted. */
const ORDER: Record<string, readonly string[]> = {
  '': [
    'version',
    'run',
    'counts',
    'failures',
    'security',
    'latency',
    'messages',
    'mint',
    'generator',
    'broker_process',
    'schedule',
    'thresholds',
    'findings',
    'verdict',
    'verdict_reason',
    'capacity',
    'series',
  ],
  run: ['id', 'scenario', 'target', 'started', 'ended', 'shard', 'mqtt', 'devices', 'executor'],
  'run.shard': ['index', 'count', 'first', 'last'],
  counts: [
    'attempted',
    'connected',
    'failed',
    'rejected_as_expected',
    'accepted_unexpectedly',
    'active_peak',
    'dropped',
    'session_drops',
  ],
  'failures[]': ['phase', 'reason', 'count', 'example'],
  'findings[]': ['code', 'severity', 'message', 'evidence'],
  'security[]': ['fault', 'expected_rejections', 'rejected', 'accepted', 'reasons'],
  latency: ['tcp', 'tls', 'ws', 'connack', 'subscribe', 'connect', 'publish_ack', 'delivery', 'command_rtt'],
  'messages.*': [
    'qos',
    'published',
    'acked',
    'delivered',
    'lost',
    'duplicated',
    'out_of_order',
    'late',
    'held_back',
    'bytes',
    'unacked',
  ],
  'latency.*': ['count', 'min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max', 'hdr'],
  mint: ['count', 'per_second', 'loaded'],
  generator: [
    'cpu_ms_per_handshake',
    'event_loop_lag_p99_ms',
    'saturated',
    'saturation_reasons',
    'fd_limit',
    'workers',
    'processes',
    'rss_peak_bytes',
    'kb_per_connection',
    'memory',
    'phases',
    'tls_contexts',
  ],
  'generator.memory': ['before_bytes', 'held_bytes', 'held'],
  'generator.phases': ['ramp', 'hold'],
  'generator.phases.ramp': ['ms', 'cpu_ms', 'handshakes', 'cpu_ms_per_handshake'],
  'generator.phases.hold': ['ms', 'cpu_ms', 'connection_seconds', 'cpu_ms_per_connection_second'],
  broker_process: ['pid', 'pids', 'command', 'threads', 'embedded', 'cpu_ms', 'cores', 'ramp_cpu_ms', 'hold_cpu_ms'],
  schedule: [
    'attempts',
    'first_intended',
    'last_intended',
    'last_started',
    'asked_per_second',
    'achieved_per_second',
    'start_lag',
    'waited_for_in_flight',
    'in_flight_cap',
  ],
  'schedule.start_lag': ['count', 'min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max', 'hdr'],
  'thresholds[]': ['metric', 'expression', 'ok', 'value', 'default'],
  capacity: ['max_rate', 'limited_by', 'steps'],
  'capacity.steps[]': ['rate', 'achieved', 'p50', 'p99', 'failed'],
  series: ['start', 'resolution', 'points'],
  'series.points[]': [
    't',
    'attempts',
    'connected',
    'failed',
    'rejected',
    'unexpected',
    'active',
    'p50',
    'p99',
    'failures',
    'published',
    'delivered',
    'late',
    'lost',
  ],
};

function ordered(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, `${path}[]`));
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const wildcard = path.replace(/\.[^.[\]]+$/, '.*'); // latency.tcp → latency.*
  const known = ORDER[path] ?? ORDER[wildcard] ?? [];
  const keys = [
    ...known.filter((k) => k in obj),
    ...Object.keys(obj)
      .filter((k) => !known.includes(k))
      .sort(),
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = ordered(obj[k], path === '' ? k : `${path}.${k}`);
  return out;
}

/** The text of summary.json: two-space indent, stable key order, trailing newline. */
export function summaryToJson(summary: WithSeries<Summary>): string {
  return `${JSON.stringify(ordered(summary, ''), null, 2)}\n`;
}

/** Writes summary.json atomically (a temporary file renamed into place). */
export async function writeSummary(path: string, summary: WithSeries<Summary>): Promise<void> {
  await writeFileAtomic(path, summaryToJson(summary), { mode: 0o644 });
}

/** Parses and validates the text of a summary; `file` names it in errors. */
export function parseSummary(text: string, file: string): WithSeries<Summary> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /position (\d+)/.exec(message);
    const pos = at === null ? { file } : { file, ...lineColumn(text, Number(at[1])) };
    throw new InputError(pos, `not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`, { cause: e });
  }
  const problems = summaryProblems(value);
  if (problems.length === 1) throw new InputError({ file }, `not a mqtt-herd summary: ${problems[0]}`);
  if (problems.length > 1) {
    throw new InputErrors(problems.slice(0, 20).map((p) => new InputError({ file }, `not a mqtt-herd summary: ${p}`)));
  }
  return withDefaults(value as WithSeries<Summary>);
}

/** A summary written before a field existed reads as if it had its empty value. */
function withDefaults(s: WithSeries<Summary>): WithSeries<Summary> {
  s.counts.session_drops ??= s.failures.filter((f) => f.phase === 'session').reduce((a, f) => a + f.count, 0);
  s.findings ??= [];
  if ((s.latency as Partial<Summary['latency']>).ws === undefined) {
    const empty = createHistogram('cumulative');
    s.latency.ws = { ...latencyStats(empty), hdr: encodeHistogram(empty) };
  }
  return s;
}

/** Reads and validates summary.json. */
export async function readSummary(path: string): Promise<WithSeries<Summary>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : String(e);
    throw new InputError({ file: path }, `cannot read the summary: ${why}`, { cause: e });
  }
  return parseSummary(text, path);
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
