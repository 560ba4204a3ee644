/**
 * Checks that a parsed summary.json has the Summary shape (every problem at once, each
 * with its JSON path), including that each phase's `hdr` decodes.
 */
import { decodeHistogram } from '../../metrics/hdr.js';
import { FAILURE_PHASES, PHASES } from '../../model/names.js';
import { MESSAGE_PHASES } from '../../model/messages.js';
import { TLS_CONTEXTS } from '../../model/summary.js';

type Check = (value: unknown, path: string, errors: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'string'
        ? `"${v.slice(0, 40)}"`
        : typeof v === 'object'
          ? 'an object'
          : typeof v === 'number' || typeof v === 'boolean'
            ? String(v)
            : typeof v;

const num: Check = (v, p, e) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) e.push(`${p}: expected a number, found ${describe(v)}`);
};
const count: Check = (v, p, e) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    e.push(`${p}: expected a count (an integer >= 0), found ${describe(v)}`);
};
const str: Check = (v, p, e) => {
  if (typeof v !== 'string') e.push(`${p}: expected a string, found ${describe(v)}`);
};
const bool: Check = (v, p, e) => {
  if (typeof v !== 'boolean') e.push(`${p}: expected true or false, found ${describe(v)}`);
};
const nullableNum: Check = (v, p, e) => {
  if (v !== null) num(v, p, e);
};
const oneOf =
  (...allowed: readonly (string | number)[]): Check =>
  (v, p, e) => {
    if (!allowed.includes(v as string)) e.push(`${p}: expected one of ${allowed.join(', ')}, found ${describe(v)}`);
  };
const obj =
  (fields: Record<string, Check>, optional: Record<string, Check> = {}): Check =>
  (v, p, e) => {
    if (!isObject(v)) return void e.push(`${p || 'summary'}: expected an object, found ${describe(v)}`);
    const at = (k: string): string => (p === '' ? k : `${p}.${k}`);
    for (const [k, check] of Object.entries(fields)) {
      if (!(k in v)) e.push(`${at(k)}: missing`);
      else check(v[k], at(k), e);
    }
    for (const [k, check] of Object.entries(optional)) if (k in v && v[k] !== undefined) check(v[k], at(k), e);
  };
const arr =
  (item: Check): Check =>
  (v, p, e) => {
    if (!Array.isArray(v)) return void e.push(`${p}: expected a list, found ${describe(v)}`);
    v.forEach((x, i) => item(x, `${p}[${i}]`, e));
  };
const record =
  (item: Check): Check =>
  (v, p, e) => {
    if (!isObject(v)) return void e.push(`${p}: expected an object, found ${describe(v)}`);
    for (const [k, x] of Object.entries(v)) item(x, `${p}.${k}`, e);
  };
const any: Check = () => undefined;
const hdr: Check = (v, p, e) => {
  if (typeof v !== 'string') return void e.push(`${p}: expected a base64 HDR histogram, found ${describe(v)}`);
  try {
    decodeHistogram(v);
  } catch {
    e.push(`${p}: not a valid encoded HDR histogram`);
  }
};

const phaseLatency = obj({ count, min: num, mean: num, p50: num, p90: num, p99: num, p999: num, max: num, hdr });

const nullable =
  (check: Check): Check =>
  (v, p, e) => {
    if (v !== null) check(v, p, e);
  };
const rampPhase = obj({ ms: num, cpu_ms: num, handshakes: count, cpu_ms_per_handshake: nullableNum });
const holdPhase = obj({ ms: num, cpu_ms: num, connection_seconds: num, cpu_ms_per_connection_second: nullableNum });

const summary = obj(
  {
    version: oneOf(1),
    run: obj({
      id: str,
      scenario: str,
      target: str,
      started: str,
      ended: str,
      shard: obj({ index: count, count }, { first: count, last: count }),
      mqtt: str,
      devices: count,
      executor: str,
    }),
    counts: obj(
      {
        attempted: count,
        connected: count,
        failed: count,
        rejected_as_expected: count,
        accepted_unexpectedly: count,
        active_peak: count,
        dropped: count,
      },
      { session_drops: count },
    ),
    failures: arr(obj({ phase: oneOf(...FAILURE_PHASES), reason: str, count }, { example: str })),
    security: arr(
      obj({ fault: str, expected_rejections: count, rejected: count, accepted: count, reasons: record(count) }),
    ),
    // `ws` came with WebSocket targets: a summary written before reads as if it had none
    latency: obj(
      Object.fromEntries(PHASES.filter((ph) => ph !== 'ws').map((ph) => [ph, phaseLatency])),
      Object.fromEntries([...MESSAGE_PHASES, 'ws'].map((ph) => [ph, phaseLatency])),
    ),
    mint: obj({ count, per_second: num, loaded: count }),
    generator: obj(
      {
        cpu_ms_per_handshake: num,
        event_loop_lag_p99_ms: num,
        saturated: bool,
        saturation_reasons: arr(str),
        fd_limit: num,
        workers: count,
        processes: count,
        rss_peak_bytes: num,
      },
      {
        tls_contexts: oneOf(...TLS_CONTEXTS),
        kb_per_connection: nullableNum,
        memory: obj({ before_bytes: num, held_bytes: nullableNum, held: count }),
        phases: obj({ ramp: nullable(rampPhase), hold: nullable(holdPhase) }),
      },
    ),
    thresholds: arr(obj({ metric: str, expression: str, ok: bool, value: nullableNum }, { default: bool })),
    verdict: oneOf('pass', 'fail', 'inconclusive', 'insecure'),
    verdict_reason: str,
  },
  {
    messages: record(
      obj(
        {
          published: count,
          acked: count,
          delivered: count,
          lost: count,
          duplicated: count,
          out_of_order: count,
          late: count,
          bytes: count,
        },
        { unacked: count, held_back: count, qos: oneOf(0, 1, 2) },
      ),
    ),
    findings: arr(obj({ code: str, severity: oneOf('info', 'warning', 'error'), message: str, evidence: record(any) })),
    broker_process: obj(
      {
        pid: count,
        command: str,
        threads: count,
        embedded: bool,
        cpu_ms: num,
        cores: num,
        ramp_cpu_ms: nullableNum,
        hold_cpu_ms: nullableNum,
      },
      { pids: arr(count) },
    ),
    schedule: obj({
      attempts: count,
      first_intended: str,
      last_intended: str,
      last_started: str,
      asked_per_second: nullableNum,
      achieved_per_second: nullableNum,
      start_lag: phaseLatency,
      waited_for_in_flight: count,
      in_flight_cap: count,
    }),
    series: obj({
      start: str,
      resolution: count,
      points: arr(
        obj(
          {
            t: count,
            attempts: count,
            connected: count,
            failed: count,
            rejected: count,
            unexpected: count,
            active: count,
            p50: nullableNum,
            p99: nullableNum,
            failures: record(count),
          },
          { published: count, delivered: count, late: count, lost: count },
        ),
      ),
    }),
  },
);

/** Every shape problem of a parsed summary, as `path: what is wrong`. */
export function summaryProblems(value: unknown): string[] {
  const errors: string[] = [];
  summary(value, '', errors);
  return errors;
}
