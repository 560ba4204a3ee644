/**
 * The text sections of the HTML report, rendered on the server side so the page reads
 * (and prints, and is searchable) without its script: verdict, thresholds, security,
 * latency table, failures with explanations, configuration, generator health, and the
 * deltas against a baseline. Every value from the summary is escaped.
 */
import { PHASES, type Phase } from '../../model/names.js';
import type { MessagePhase } from '../../model/messages.js';
import { allStreams, lossRate, messagePhases, publishRate } from '../messages.js';
import { escapeMarkup as esc } from '../escape.js';
import { explainReason } from '../explain/index.js';
import { bytes, describeThreshold, int, ms, percent, tableMs, utcTime } from '../format.js';
import { table, td, th, tr } from './markup.js';
import { costRows } from '../cost.js';
import type { Summary, Verdict, TimeSeries } from '../../model/summary.js';

/** Escaped text in which `backticked` words are set as code. */
const words = (s: string): string => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

const OK = '<span class="ok" title="held">✓</span>';
const NO = '<span class="no" title="failed">✗</span>';
const mark = (ok: boolean): string => (ok ? OK : NO);

export const PHASE_LABEL: Record<Phase | MessagePhase, string> = {
  tcp: 'TCP connect',
  tls: 'TLS handshake',
  ws: 'WebSocket upgrade',
  connack: 'CONNECT → CONNACK',
  subscribe: 'SUBSCRIBE → SUBACK',
  connect: 'Connect, end to end',
  publish_ack: 'PUBLISH → PUBACK / PUBCOMP',
  delivery: 'Message delivery',
  command_rtt: 'Command round trip',
};

const VERDICT_TEXT: Record<Verdict, { word: string; icon: string; meaning: string }> = {
  pass: { word: 'PASS', icon: '✓', meaning: 'Every threshold held and no faulty credential was accepted.' },
  fail: { word: 'FAIL', icon: '✗', meaning: 'The broker did not meet at least one target set for this run.' },
  inconclusive: {
    word: 'INCONCLUSIVE',
    icon: '!',
    meaning:
      'The load generator itself was the bottleneck, so these numbers describe it rather than the broker. ' +
      'Rerun with more workers or machines (shards) before drawing conclusions.',
  },
  insecure: {
    word: 'INSECURE',
    icon: '✗',
    meaning: 'The broker accepted credentials it must reject. Fix this before anything else.',
  },
};

const FAULT_TEXT: Record<string, string> = {
  expired: 'certificate past its expiry date',
  not_yet_valid: 'certificate whose validity starts in the future',
  wrong_ca: 'certificate signed by a CA the broker must not trust',
  revoked: 'certificate listed in the CA’s revocation list (CRL)',
  cn_mismatch: 'certificate whose name does not match the client id',
  no_cert: 'no client certificate at all',
  wrong_eku: 'certificate not issued for client authentication (EKU)',
};

const seconds = (s: Summary): number => Math.max(0, (Date.parse(s.run.ended) - Date.parse(s.run.started)) / 1000);
const finished = (s: Summary): number => s.counts.connected + s.counts.failed;
const failureRate = (s: Summary): number => (finished(s) === 0 ? 0 : s.counts.failed / finished(s));
const averageRate = (s: Summary): number => (seconds(s) > 0 ? s.counts.connected / seconds(s) : 0);

/** The best connects per second of the timeline (a point's average when downsampled), else null. */
function peakRate(s: Summary): { rate: number; over: number } | null {
  const series = (s as Summary & { series?: TimeSeries }).series;
  if (series === undefined || series.points.length === 0) return null;
  const r = series.resolution > 0 ? series.resolution : 1;
  return { rate: Math.max(...series.points.map((p) => p.connected)) / r, over: r };
}
const utc = (iso: string): string => esc(utcTime(iso));

function tile(label: string, value: string, note = ''): string {
  const noteHtml = note === '' ? '' : `<div class="tile-note">${note}</div>`;
  return `<div class="tile"><div class="tile-label">${esc(label)}</div><div class="tile-value">${value}</div>${noteHtml}</div>`;
}

function rateTile(s: Summary): string {
  const peak = peakRate(s);
  if (peak === null) return tile('Connect rate', `${int(averageRate(s))}/s`, `average over ${ms(seconds(s) * 1000)}`);
  return tile('Peak connect rate', `${int(peak.rate)}/s`, peak.over === 1 ? 'best second' : `best ${peak.over} s`);
}

export function verdictSection(s: Summary): string {
  const v = VERDICT_TEXT[s.verdict];
  const c = s.counts;
  const l = s.latency.connect;
  const tiles = [
    tile('Devices', int(s.run.devices)),
    tile('Connected', int(c.connected), `of ${int(c.attempted)} attempted`),
    tile('Failed', percent(failureRate(s)), `${int(c.failed)} attempts`),
    tile('Connect p50', l.count > 0 ? ms(l.p50) : '–', 'end to end'),
    tile('Connect p99', l.count > 0 ? ms(l.p99) : '–', 'end to end'),
    tile('Peak active', int(c.active_peak), 'connections open at once'),
    rateTile(s),
  ];
  const m = allStreams(s);
  if (m !== null) {
    const r = publishRate(s, m);
    const loss = lossRate(m);
    tiles.push(
      tile('Messages', r === null ? '–' : `${int(r)}/s`, `${int(m.published)} published, average`),
      tile('Message loss', loss === null ? '–' : percent(loss), `${int(m.lost)} deliveries lost`),
    );
  }
  if (c.rejected_as_expected + c.accepted_unexpectedly > 0) {
    tiles.push(
      tile(
        'Faulty rejected',
        `${int(c.rejected_as_expected)}/${int(c.rejected_as_expected + c.accepted_unexpectedly)}`,
        c.accepted_unexpectedly > 0 ? `${int(c.accepted_unexpectedly)} accepted!` : 'all rejected',
      ),
    );
  }
  const icon = `<span class="verdict-icon" aria-hidden="true">${v.icon}</span>`;
  const word = `<span class="verdict-word" data-verdict="${s.verdict}">${v.word}</span>`;
  return `<section class="verdict verdict-${s.verdict}" id="verdict">
<div class="verdict-head">${icon}${word}</div>
<p class="verdict-why">${esc(s.verdict_reason)}</p>
<p class="verdict-meaning">${esc(v.meaning)}</p>
<div class="tiles">${tiles.join('')}</div>
</section>`;
}

export function thresholdsSection(s: Summary): string {
  if (s.thresholds.length === 0) {
    return (
      '<section id="thresholds"><h2>Thresholds</h2><p class="muted">No thresholds were set for this run and ' +
      'its default gates were turned off: the verdict only says whether the generator stayed healthy and every ' +
      'faulty credential was rejected.</p></section>'
    );
  }
  const held = s.thresholds.filter((t) => t.ok).length;
  const rows = s.thresholds
    .map((t) =>
      tr(
        [
          td(mark(t.ok), 'c'),
          td(`<code>${esc(t.metric)}</code>${t.default ? ' <span class="muted small">default gate</span>' : ''}`),
          td(`<code>${esc(t.expression)}</code>`),
          td(esc(describeThreshold(t))),
        ],
        t.ok ? 'row-ok' : 'row-no',
      ),
    )
    .join('\n');
  const head = [th('ok', 'c'), th('metric'), th('threshold'), th('observed')];
  return `<section id="thresholds"><h2>Thresholds <span class="count">${held} of ${s.thresholds.length} held</span></h2>
${table('grid', head, rows)}</section>`;
}

export function securitySection(s: Summary): string {
  if (s.security.length === 0) return '';
  const rows = s.security
    .map((x) => {
      const reasons = Object.entries(x.reasons)
        .map(([r, n]) => `<code title="${esc(explainReason(r).title)}">${esc(r)}</code> ${int(n)}`)
        .join(', ');
      const fault = `<code>${esc(x.fault)}</code><div class="muted small">${esc(FAULT_TEXT[x.fault] ?? '')}</div>`;
      const cells = [
        td(mark(x.accepted === 0), 'c'),
        td(fault),
        td(int(x.expected_rejections), 'n'),
        td(int(x.rejected), 'n'),
        td(int(x.accepted), 'n'),
        td(reasons || '–'),
      ];
      return tr(cells, x.accepted === 0 ? 'row-ok' : 'row-no');
    })
    .join('\n');
  const counts = ['devices', 'rejected', 'accepted'].map((n) => th(n, 'n'));
  const head = [th('ok', 'c'), th('fault'), ...counts, th('how the broker rejected them')];
  return `<section id="security"><h2>Security: faulty credentials</h2>
<p class="muted">Devices given a faulty credential on purpose. The broker must reject every one of them; one accepted makes the run insecure.</p>
${table('grid', head, rows)}</section>`;
}

export function latencyTable(s: Summary): string {
  // the ws upgrade only when a WebSocket target was used
  const rows = [...PHASES.filter((p) => p !== 'ws' || s.latency.ws.count > 0), ...messagePhases(s)]
    .map((p) => {
      const l = s.latency[p]!;
      const cells =
        l.count === 0
          ? ['–', '–', '–', '–', '–', '–', '–']
          : [l.min, l.p50, l.p90, l.p99, l.p999, l.max, l.mean].map(tableMs);
      return tr([td(esc(PHASE_LABEL[p])), td(int(l.count), 'n'), ...cells.map((c) => td(c, 'n'))]);
    })
    .join('\n');
  const numbers = ['count', 'min', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'];
  return table('grid latency', [th('phase (ms)'), ...numbers.map((n) => th(n, 'n'))], rows);
}

/** Longest example shown in the failures table. */
const EXAMPLE_CHARS = 160;

/** What one failure looked like (a protocol error's first bytes), on one line, escaped. */
function exampleHtml(example: string | undefined): string {
  if (example === undefined) return '';
  // eslint-disable-next-line no-control-regex -- control characters and newlines become spaces: the example is one line
  const flat = example.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  const text = flat.length > EXAMPLE_CHARS ? `${flat.slice(0, EXAMPLE_CHARS - 1)}…` : flat;
  return `<div class="muted small example">Example: <code>${esc(text)}</code></div>`;
}

export function failuresSection(s: Summary): string {
  const head = '<section id="failures"><h2>Failures by reason</h2>';
  if (s.failures.length === 0)
    return `${head}<p class="muted">No attempt failed and no held connection was dropped.</p></section>`;
  // the same denominators as the verdict's "Failed" tile: finished attempts; drops: of connections
  const finishedAttempts = Math.max(1, finished(s));
  const connections = Math.max(1, s.counts.connected);
  const rows = s.failures
    .map((f) => {
      const e = explainReason(f.reason);
      const session = f.phase === 'session';
      const share = session
        ? `${percent(f.count / connections)} of connections`
        : `${percent(f.count / finishedAttempts)} of attempts`;
      const when = session ? 'after connecting (dropped while held)' : f.phase;
      const explanation =
        `<strong>${words(e.title)}.</strong> ${words(e.cause)}<div class="fix"><span>Fix:</span> ${words(e.fix)}</div>` +
        exampleHtml(f.example);
      return tr([
        td(`${int(f.count)}<div class="muted small">${share}</div>`, 'n'),
        td(esc(when)),
        td(`<code>${esc(f.reason)}</code>`),
        td(explanation, 'explain'),
      ]);
    })
    .join('\n');
  const columns = [th('count', 'n'), th('phase'), th('reason'), th('what it means, likely cause and fix')];
  return `${head}
${table('grid failures', columns, rows)}</section>`;
}

function dl(rows: readonly (readonly [string, string])[]): string {
  return `<dl class="kv">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function configSection(s: Summary): string {
  const r = s.run;
  const rows: [string, string][] = [
    ['Scenario', esc(r.scenario)],
    ['Target', `<code>${esc(r.target)}</code>`],
    ['MQTT version', esc(r.mqtt)],
    ['Devices', int(r.devices)],
    ['Executor', esc(r.executor)],
    ['Started', utc(r.started)],
    ['Ended', utc(r.ended)],
    ['Duration', ms(seconds(s) * 1000)],
    ['Shard', r.shard.count > 1 ? `${r.shard.index + 1} of ${r.shard.count}` : 'not sharded'],
    ['Certificates', `${int(s.mint.count)} minted (${int(s.mint.per_second)}/s) · ${int(s.mint.loaded)} loaded`],
    ['Run id', `<code>${esc(r.id)}</code>`],
  ];
  return `<section id="config" class="half"><h2>Run configuration</h2>${dl(rows)}</section>`;
}

export function generatorSection(s: Summary): string {
  const g = s.generator;
  const state = g.saturated
    ? `${NO} saturated: ${esc(g.saturation_reasons.join('; ') || 'no reason recorded')}`
    : `${OK} healthy: the generator kept up, so the latencies describe the broker`;
  const rows: [string, string][] = [
    ['Status', state],
    ['CPU per handshake', `${g.cpu_ms_per_handshake.toFixed(2)} ms`],
    ['Event-loop lag p99', ms(g.event_loop_lag_p99_ms)],
    ['Workers', `${int(g.workers)} in ${int(g.processes)} ${g.processes === 1 ? 'process' : 'processes'}`],
    ['File descriptor limit', int(g.fd_limit)],
    ['Memory peak (RSS)', bytes(g.rss_peak_bytes)],
    ...costRows(s).map(([k, v]): [string, string] => [k, esc(v)]),
  ];
  return `<section id="generator" class="half"><h2>Generator health</h2>${dl(rows)}</section>`;
}

/** A phase one of the runs has not measured at all. */
const EMPTY = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, hdr: '' };

interface DeltaRow {
  label: string;
  base: number;
  cur: number;
  fmt: (n: number) => string;
  better: 'lower' | 'higher';
}

/** One row of the deltas table: both values, the change, and its share, marked better, worse or the same. */
function deltaRow(r: DeltaRow): string {
  const d = r.cur - r.base;
  const rel = r.base === 0 ? (d === 0 ? 0 : Infinity) : d / Math.abs(r.base);
  const significant = Math.abs(rel) >= 0.05 && d !== 0;
  const good = r.better === 'lower' ? d < 0 : d > 0;
  const cls = !significant ? 'same' : good ? 'better' : 'worse';
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  const relText = Number.isFinite(rel) ? `${sign}${Math.abs(rel * 100).toFixed(Math.abs(rel) < 0.1 ? 1 : 0)}%` : 'new';
  const abs =
    d === 0 ? '±0' : r.fmt === percent ? `${sign}${(Math.abs(d) * 100).toFixed(2)} pt` : `${sign}${r.fmt(Math.abs(d))}`;
  const cells = [
    td(esc(r.label)),
    td(esc(r.fmt(r.base)), 'n'),
    td(esc(r.fmt(r.cur)), 'n'),
    td(esc(abs), 'n'),
    td(esc(relText), 'n delta'),
  ];
  return tr(cells, `delta-${cls}`);
}

/** The table of this run against a baseline: values, change, and whether it got better. */
export function deltasSection(s: Summary, b: Summary): string {
  const rows: DeltaRow[] = [];
  const messagePhasesOfEither = [...new Set([...messagePhases(b), ...messagePhases(s)])];
  for (const p of [...PHASES, ...messagePhasesOfEither]) {
    const cur = s.latency[p] ?? EMPTY;
    const base = b.latency[p] ?? EMPTY;
    if (cur.count === 0 && base.count === 0) continue;
    const keys: (keyof typeof cur & ('p50' | 'p90' | 'p99' | 'p999' | 'max'))[] =
      p === 'connect' ? ['p50', 'p90', 'p99', 'p999', 'max'] : ['p50', 'p99'];
    for (const k of keys)
      rows.push({
        label: `${PHASE_LABEL[p]} ${k === 'p999' ? 'p99.9' : k}`,
        base: base[k],
        cur: cur[k],
        fmt: ms,
        better: 'lower',
      });
  }
  rows.push(
    { label: 'Failed attempts', base: failureRate(b), cur: failureRate(s), fmt: percent, better: 'lower' },
    { label: 'Connected', base: b.counts.connected, cur: s.counts.connected, fmt: int, better: 'higher' },
    peakRate(s) !== null && peakRate(b) !== null
      ? {
          label: 'Peak connect rate /s',
          base: peakRate(b)?.rate ?? 0,
          cur: peakRate(s)?.rate ?? 0,
          fmt: (n) => n.toFixed(1),
          better: 'higher',
        }
      : {
          label: 'Average connect rate /s',
          base: averageRate(b),
          cur: averageRate(s),
          fmt: (n) => n.toFixed(1),
          better: 'higher',
        },
    {
      label: 'Peak active connections',
      base: b.counts.active_peak,
      cur: s.counts.active_peak,
      fmt: int,
      better: 'higher',
    },
    {
      label: 'Generator CPU per handshake (ms)',
      base: b.generator.cpu_ms_per_handshake,
      cur: s.generator.cpu_ms_per_handshake,
      fmt: (n) => n.toFixed(2),
      better: 'lower',
    },
  );
  const mb = allStreams(b);
  const ms_ = allStreams(s);
  if (mb !== null || ms_ !== null) {
    const none = { published: 0, lost: 0, delivered: 0, duplicated: 0 } as NonNullable<typeof mb>;
    rows.push(
      {
        label: 'Messages published /s',
        base: mb === null ? 0 : (publishRate(b, mb) ?? 0),
        cur: ms_ === null ? 0 : (publishRate(s, ms_) ?? 0),
        fmt: (n) => n.toFixed(1),
        better: 'higher',
      },
      {
        label: 'Message loss',
        base: lossRate(mb ?? none) ?? 0,
        cur: lossRate(ms_ ?? none) ?? 0,
        fmt: percent,
        better: 'lower',
      },
    );
  }
  const body = rows.map(deltaRow).join('\n');
  const baseline = `${esc(b.run.scenario)} · ${utc(b.run.started)} · verdict ${esc(b.verdict)} · id <code>${esc(b.run.id)}</code>`;
  const marks = '<span class="better">better</span> or <span class="worse">worse</span>';
  const head = [th('metric'), th('baseline', 'n'), th('this run', 'n'), th('change', 'n'), th('%', 'n')];
  return `<section id="baseline"><h2>Against the baseline</h2>
<p class="muted">Baseline: ${baseline}. Changes of 5% or more are marked ${marks}.</p>
${table('grid deltas', head, body)}</section>`;
}
