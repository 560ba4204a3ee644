/**
 * The final summary of a run on the console, in the style of k6 (verdict first). Plain
 * text; `ascii` swaps ✓/✗ for OK/FAIL for logs that mangle Unicode.
 */
import { PHASES, type Phase } from '../../model/names.js';
import { formatMs } from '../../model/units.js';
import { bytes, describeThreshold, int, lpad, pad, percent, tableMs } from '../format.js';
import type { Summary, Verdict } from '../../model/summary.js';
import { explainLoad } from '../../load/registry.js';
import { MESSAGE_PHASE_LABEL, messagePhases, messageRows } from '../messages.js';
import { costRows } from '../cost.js';

export interface ConsoleOptions {
  ascii?: boolean;
}

const PHASE_LABEL: Record<Phase, string> = {
  tcp: 'tcp',
  tls: 'tls',
  ws: 'ws upgrade',
  connack: 'connack',
  subscribe: 'subscribe',
  connect: 'connect (e2e)',
};

const VERDICT_LABEL: Record<Verdict, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  inconclusive: 'INCONCLUSIVE',
  insecure: 'INSECURE',
};

type Mark = (ok: boolean) => string;

function verdictLine(s: Summary, options: ConsoleOptions): string {
  const verdictMark =
    options.ascii === true ? '' : s.verdict === 'pass' ? '✓ ' : s.verdict === 'inconclusive' ? '! ' : '✗ ';
  return `${verdictMark}${VERDICT_LABEL[s.verdict]}  ${s.verdict_reason}`;
}

function runRows(s: Summary): string[] {
  const r = s.run;
  const seconds = (Date.parse(r.ended) - Date.parse(r.started)) / 1000;
  const shard = r.shard.count > 1 ? ` · shard ${r.shard.index + 1}/${r.shard.count}` : '';
  return [
    `${r.scenario} → ${r.target}${shard}`,
    `mqtt ${r.mqtt} · ${int(r.devices)} devices · ${r.executor} · ${Number.isFinite(seconds) ? formatMs(seconds * 1000) : '?'} · id ${r.id}`,
  ];
}

function latencyLines(s: Summary): string[] {
  const lines = [
    `  ${pad('latency ms', 16)}${['count', 'p50', 'p90', 'p99', 'p99.9', 'max'].map((h) => lpad(h, 10)).join('')}`,
  ];
  const rows = [
    // the ws upgrade only when a WebSocket target was used
    ...PHASES.filter((p) => p !== 'ws' || s.latency.ws.count > 0).map((p) => [PHASE_LABEL[p], s.latency[p]] as const),
    // with traffic, the messages' phases after the connection's
    ...messagePhases(s).map((p) => [MESSAGE_PHASE_LABEL[p], s.latency[p]!] as const),
  ];
  for (const [label, l] of rows) {
    const cells =
      l.count === 0
        ? [int(0), '-', '-', '-', '-', '-']
        : [int(l.count), ...[l.p50, l.p90, l.p99, l.p999, l.max].map(tableMs)];
    lines.push(`  ${pad(label, 16)}${cells.map((c) => lpad(c, 10)).join('')}`);
  }
  return lines;
}

function connectionRows(s: Summary): string[] {
  const c = s.counts;
  const finished = c.connected + c.failed;
  const failRate = finished === 0 ? '' : ` (${percent(c.failed / finished)})`;
  return [
    `attempted ${int(c.attempted)} · connected ${int(c.connected)} · failed ${int(c.failed)}${failRate}`,
    `active peak ${int(c.active_peak)} · dropped while held ${int(c.dropped)}` +
      (c.session_drops > 0 ? ` (${int(c.session_drops)} by the broker)` : ''),
  ];
}

/** Longest example shown under a failure row. */
const EXAMPLE_CHARS = 120;

/** What one failure looked like, on one line of plain text: control characters as spaces, cut at EXAMPLE_CHARS. */
function exampleLine(example: string): string {
  // eslint-disable-next-line no-control-regex -- control characters (newlines, escapes) are what must not reach the terminal
  const flat = example.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return flat.length > EXAMPLE_CHARS ? `${flat.slice(0, EXAMPLE_CHARS - 1)}…` : flat;
}

function failureRows(s: Summary): string[] {
  if (s.failures.length === 0) return [];
  const width = Math.max(...s.failures.map((f) => f.reason.length));
  return s.failures.flatMap((f) => {
    const row = `${pad(f.phase, 10)}${pad(f.reason, width + 2)}${lpad(int(f.count), 8)}`;
    return f.example === undefined ? [row] : [row, `${pad('', 10)}e.g. ${exampleLine(f.example)}`];
  });
}

function securityRows(s: Summary, mark: Mark): string[] {
  const c = s.counts;
  if (s.security.length > 0) {
    return s.security.map((x) => {
      const reasons = Object.entries(x.reasons)
        .map(([k, n]) => `${k} ${int(n)}`)
        .join(', ');
      const tail = reasons === '' ? '' : `  (${reasons})`;
      const tally = `${int(x.expected_rejections)} faulty · ${int(x.rejected)} rejected · ${int(x.accepted)} accepted`;
      return `${mark(x.accepted === 0)} ${pad(x.fault, 14)} ${tally}${tail}`;
    });
  }
  if (c.rejected_as_expected + c.accepted_unexpectedly === 0) return [];
  return [
    `${mark(c.accepted_unexpectedly === 0)} ${int(c.rejected_as_expected)} rejected as expected · ${int(c.accepted_unexpectedly)} accepted`,
  ];
}

function thresholdRows(s: Summary, mark: Mark): string[] {
  if (s.thresholds.length === 0) return [];
  const mw = Math.max(...s.thresholds.map((t) => t.metric.length));
  const ew = Math.max(...s.thresholds.map((t) => t.expression.length));
  return s.thresholds.map(
    (t) =>
      `${mark(t.ok)} ${pad(t.metric, mw + 2)}${pad(t.expression, ew + 2)}${describeThreshold(t)}` +
      (t.default ? '  (default gate)' : ''),
  );
}

function generatorRows(s: Summary, yes: string, no: string): string[] {
  const g = s.generator;
  const processes = `${g.processes} ${g.processes === 1 ? 'process' : 'processes'}`;
  return [
    `cpu ${g.cpu_ms_per_handshake.toFixed(2)} ms/handshake · event-loop lag p99 ${formatMs(g.event_loop_lag_p99_ms)} · ${g.workers} workers · ${processes}`,
    `fd limit ${int(g.fd_limit)} · rss peak ${bytes(g.rss_peak_bytes)}`,
    ...costRows(s).map(([label, value]) => `${label.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}: ${value}`),
    g.saturated
      ? `${no} saturated: ${g.saturation_reasons.join('; ') || 'no reason recorded'}`
      : `${yes} not saturated`,
  ];
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;
const SEVERITY_MARK = { error: '✗', warning: '!', info: '·' } as const;
/** Width a finding's message is wrapped to, after its severity. */
const FINDING_WIDTH = 96;

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** What limited the run: a finding a paragraph, most severe first. */
function findingRows(s: Summary, options: ConsoleOptions): string[] {
  const sorted = [...s.findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return sorted.flatMap((f) => {
    const head =
      options.ascii === true ? pad(f.severity.toUpperCase(), 8) : `${SEVERITY_MARK[f.severity]} ${pad(f.severity, 8)}`;
    return wrap(f.message, FINDING_WIDTH).map((line, i) => `${i === 0 ? head : ' '.repeat(head.length)}${line}`);
  });
}

/** The final summary of a run (or of merged shards) as printed on stdout. */
export function renderSummary(s: Summary, options: ConsoleOptions = {}): string {
  const yes = options.ascii === true ? 'OK  ' : '✓';
  const no = options.ascii === true ? 'FAIL' : '✗';
  const mark = (ok: boolean): string => (ok ? yes : no);
  const lines: string[] = [];
  const section = (title: string, rows: readonly string[]): void => {
    rows.forEach((row, i) => lines.push(`  ${pad(i === 0 ? title : '', 12)} ${row}`));
  };

  lines.push(verdictLine(s, options), '');
  section('run', runRows(s));
  lines.push('');
  lines.push(...latencyLines(s), '');
  section('connections', connectionRows(s));
  section('messages', messageRows(s));

  const res = s.resumption;
  if (res !== undefined) {
    section('resumption', [
      `${int(res.resumed)} resumed handshakes · ${int(res.full)} full`,
      `tls full p50 ${formatMs(res.tls_full.p50)} p99 ${formatMs(res.tls_full.p99)} · ` +
        `resumed p50 ${formatMs(res.tls_resumed.p50)} p99 ${formatMs(res.tls_resumed.p99)}`,
    ]);
  }

  // what the run's executor adds (a storm's recovery)
  for (const x of explainLoad(s)) section(x.id, x.lines);

  section('failures', failureRows(s));
  section('security', securityRows(s, mark));
  section('thresholds', thresholdRows(s, mark));
  section('generator', generatorRows(s, yes, no));
  if (s.mint.count + s.mint.loaded > 0) {
    section('certificates', [
      `${int(s.mint.count)} minted (${int(s.mint.per_second)}/s) · ${int(s.mint.loaded)} loaded`,
    ]);
  }
  const findings = findingRows(s, options);
  if (findings.length > 0) {
    lines.push('');
    section('limited by', findings);
  }
  return `${lines.join('\n')}\n`;
}
