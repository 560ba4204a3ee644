/**
 * A capacity search on the console: the answer, the step table (rate, achieved, p50/p99,
 * failures by reason), the evidence for what limited it, and the settings it depends on.
 * One line per finished step is also what the progress on stderr prints.
 */
import { formatMs } from '../model/units.js';
import { int, lpad, ms, pad, rateNumber } from '../report/format.js';
import { capacityUnit, type Capacity, type CapacityStep, type CapacityUnit } from '../model/capacity.js';

export interface CapacityConsoleOptions {
  ascii?: boolean;
}

/** The console's placeholder for no value. */
const NONE = '-';

const LIMITED: Record<Capacity['limited_by'], string> = {
  slo: 'an SLO broke',
  generator: 'the load generator saturated (the answer is a lower bound)',
  max_rate: 'the maximum rate (--max-rate) was reached',
  budget: 'the time budget (--budget) ran out',
  insecure: 'the broker accepted a credential it must reject',
  interrupted: 'stopped by the user',
};

/** The answer in a few words: "310 connects/s", "at least 800 messages/s", "none". */
function capacityAnswer(c: Capacity): string {
  if (c.max_rate === null) return 'none';
  return `${c.at_least ? 'at least ' : ''}${rateNumber(c.max_rate)} ${capacityUnit(c)}`;
}

/** A message step's counts: what was scheduled, sent, acknowledged and delivered. */
function messagesText(s: CapacityStep): string {
  const m = s.messages;
  if (m === undefined) return '';
  const parts = [`published ${int(m.published)}/${int(m.scheduled)}`];
  if (m.acked > 0) parts.push(`acked ${int(m.acked)}`);
  if (m.expected_deliveries > 0) parts.push(`delivered ${int(m.delivered)}/${int(m.expected_deliveries)}`);
  if (m.late > 0) parts.push(`late ${int(m.late)}`);
  return parts.join(', ');
}

function failuresText(s: CapacityStep): string {
  const list = Object.entries(s.failures).sort((a, b) => b[1] - a[1]);
  if (list.length === 0) return '';
  const shown = list.slice(0, 2).map(([r, n]) => `${r} ${int(n)}`);
  return shown.join(', ') + (list.length > 2 ? ` +${list.length - 2} more` : '');
}

/** One finished step, for progress lines and the table. */
export function stepLine(s: CapacityStep, index: number, options: CapacityConsoleOptions = {}): string {
  const mark = s.saturated
    ? options.ascii
      ? 'SAT '
      : '!'
    : s.ok
      ? options.ascii
        ? 'OK  '
        : '✓'
      : options.ascii
        ? 'FAIL'
        : '✗';
  const cells = [
    lpad(String(index + 1), 4),
    '  ',
    pad(s.kind, 8),
    lpad(rateNumber(s.rate), 8),
    lpad(rateNumber(s.achieved), 12),
    lpad(ms(s.p50, NONE), 10),
    lpad(ms(s.p99, NONE), 10),
    lpad(int(s.messages === undefined ? s.failed : s.messages.lost), 8),
    lpad(formatMs(s.duration_ms), 8),
    '  ',
    mark,
  ];
  const notes = [
    messagesText(s),
    failuresText(s),
    ...(s.ok ? [] : s.broke),
    ...(s.saturated ? [`generator saturated: ${s.saturation_reasons.join('; ')}`] : []),
  ].filter((x) => x !== '');
  return cells.join('') + (notes.length > 0 ? `  ${notes.join(' · ')}` : '');
}

/** The step table's header: the rates in messages/s and lost deliveries for a message search. */
export function stepHeader(unit: CapacityUnit = 'connects/s'): string {
  const messages = unit === 'messages/s';
  return [
    lpad('step', 4),
    '  ',
    pad('kind', 8),
    lpad(messages ? 'msgs/s' : 'rate/s', 8),
    lpad('achieved/s', 12),
    lpad('p50', 10),
    lpad('p99', 10),
    lpad(messages ? 'lost' : 'failed', 8),
    lpad('length', 8),
  ].join('');
}

export const STEP_HEADER = stepHeader();

export function renderCapacity(c: Capacity, options: CapacityConsoleOptions = {}): string {
  const lines: string[] = [];
  const sure =
    c.max_rate === null ? '' : c.confirmed ? ' (confirmed by a longer hold)' : c.at_least ? '' : ' (not confirmed)';
  lines.push(`capacity  ${capacityAnswer(c)}${sure} · stopped because ${LIMITED[c.limited_by]}`);
  lines.push(`          ${c.reason}`, '');
  lines.push(`  ${stepHeader(capacityUnit(c))}`);
  c.steps.forEach((s, i) => lines.push(`  ${stepLine(s, i, options)}`));
  lines.push('');
  if (c.findings.length > 0) {
    lines.push('  limited by');
    for (const f of c.findings) lines.push(`    - ${f.text}`);
  }
  lines.push(`  slo         ${c.slo.join(' · ')}`);
  const k = c.config;
  const tls = [
    k.tls_min_version === null ? '' : `min ${k.tls_min_version}`,
    k.tls_max_version === null ? '' : `max ${k.tls_max_version}`,
  ]
    .filter((x) => x !== '')
    .join(' ');
  const hold = k.hold_ms === 0 ? '0s' : formatMs(k.hold_ms);
  const settings = [
    `device key ${k.key}`,
    `TLS ${tls === '' ? 'default versions' : tls}`,
    `mqtt ${k.mqtt}`,
    `in-flight ${k.in_flight}`,
    `hold ${hold}`,
    `${k.workers} workers`,
  ];
  if (c.fleet !== undefined) {
    const f = c.fleet;
    settings.splice(4, 1); // the fleet is held through each step, whatever the hold
    const subs =
      f.subscribers === 0 ? 'no subscribers' : `${int(f.subscribers)} subscriber${f.subscribers === 1 ? '' : 's'}`;
    lines.push(
      `  fleet       ${int(f.devices)} devices (${int(f.publishing)} publishing on ${f.stream}, QoS ${f.qos}) · ` +
        `connected at ${rateNumber(f.connect_rate)}/s each step · ${subs}`,
    );
  }
  lines.push(`  settings    ${settings.join(' · ')}`);
  const q = c.search;
  const u = capacityUnit(c) === 'messages/s' ? ' messages/s' : '/s';
  const rates = `from ${rateNumber(q.start_rate)}${u} up to at most ${rateNumber(q.max_rate)}${u}`;
  lines.push(
    `  search      ${formatMs(q.elapsed_ms)} of a ${formatMs(q.budget_ms)} budget · ${rates} · precision ${Math.round(q.precision * 100)}%`,
  );
  return `${lines.join('\n')}\n`;
}
