/**
 * A comparison on the console: the runs (A, B, …), the settings that differ, then one
 * line per metric with each run's value and, for every run after the first, the change,
 * its 95% interval and whether it is beyond noise.
 */
import { lpad, ms, NONE, pad, percent, rate } from '../report/format.js';
import type { Comparison, Delta, MetricRow } from './compare.js';

export interface CompareConsoleOptions {
  ascii?: boolean;
}

const RUN_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const letter = (i: number): string => RUN_LETTERS[i] ?? `#${i + 1}`;

const GROUP_LABEL: Record<string, string> = {
  capacity: 'capacity',
  connect: 'connect (e2e)',
  tcp: 'tcp',
  tls: 'tls',
  ws: 'ws',
  connack: 'connack',
  subscribe: 'subscribe',
  publish_ack: 'publish → ack',
  delivery: 'delivery',
  command_rtt: 'command rtt',
  failures: 'failures',
};

export function formatValue(row: Pick<MetricRow, 'unit'>, v: number | null): string {
  if (v === null) return NONE;
  if (row.unit === 'ms') return ms(v);
  if (row.unit === 'fraction') return percent(v);
  return rate(v);
}

/** "+1.4ms (+18%)", "−30/s (−9.7%)", "+0.20 pt" */
export function formatDelta(row: Pick<MetricRow, 'unit'>, d: Delta): string {
  const sign = d.delta > 0 ? '+' : d.delta < 0 ? '−' : '±';
  const abs = Math.abs(d.delta);
  const magnitude = row.unit === 'fraction' ? `${(abs * 100).toFixed(2)} pt` : formatValue(row, abs);
  const rel =
    d.relative === null || row.unit === 'fraction'
      ? ''
      : ` (${sign}${Math.abs(d.relative * 100).toFixed(Math.abs(d.relative) < 0.1 ? 1 : 0)}%)`;
  return `${sign}${magnitude}${rel}`;
}

export function formatInterval(row: Pick<MetricRow, 'unit'>, d: Delta): string {
  if (d.ci === null) return d.noise === 'knee brackets' ? 'knee brackets' : '';
  const f = (v: number): string =>
    row.unit === 'fraction'
      ? `${v >= 0 ? '+' : '−'}${(Math.abs(v) * 100).toFixed(2)}pt`
      : `${v >= 0 ? '+' : '−'}${formatValue(row, Math.abs(v))}`;
  return `[${f(d.ci[0])}, ${f(d.ci[1])}]`;
}

export function verdictWord(d: Delta): string {
  if (!d.beyondNoise) return 'within noise';
  return d.verdict === 'same' ? 'no change' : `${d.verdict}, beyond noise`;
}

export function renderComparison(c: Comparison, _options: CompareConsoleOptions = {}): string {
  const lines: string[] = [];
  const n = c.runs.length;
  lines.push(`compare  ${n} runs · each against ${letter(0)} (${c.runs[0]!.label})`, '');
  c.runs.forEach((r, i) => {
    const s = r.pooled;
    const repeats = r.summaries.length > 1 ? ` · ${r.summaries.length} repeats pooled` : '';
    const connects = `${s.counts.connected.toLocaleString('en-US')} connects`;
    lines.push(
      `  ${letter(i)}  ${pad(r.label, 24)} ${s.verdict} · ${connects} · ${s.run.executor}${repeats} · ${r.files.join(', ')}`,
    );
  });
  if (c.differences.length > 0) {
    lines.push('', '  settings that differ');
    for (const d of c.differences)
      lines.push(`    ${pad(d.setting, 12)} ${d.values.map((v, i) => `${letter(i)} ${v}`).join(' · ')}`);
  }
  lines.push('');
  const width = 12;
  const head = [pad('', 16), pad('', 18), ...c.runs.map((_, i) => lpad(letter(i), width))];
  lines.push(`  ${head.join('')}`);
  let group = '';
  for (const row of c.rows) {
    let g = row.group === group ? '' : (GROUP_LABEL[row.group] ?? row.group);
    group = row.group;
    // a label too long for its column (a stream's name) gets a line of its own
    if (g.length > 15) {
      lines.push(`  ${g}`);
      g = '';
    }
    const cells = row.values.map((v, i) => {
      const sp = row.spread[i];
      return lpad(formatValue(row, v) + (sp === null || sp === undefined ? '' : '*'), width);
    });
    const changes = row.deltas
      .map((d, i) =>
        d === null
          ? ''
          : `${letter(i)}: ${formatDelta(row, d)} ${formatInterval(row, d)} ${verdictWord(d)}`.replace(/\s+/g, ' '),
      )
      .filter((x) => x !== '');
    lines.push(`  ${pad(g, 16)}${pad(row.metric, 18)}${cells.join('')}   ${changes.join(' · ')}`);
  }
  const withSpread = c.rows.some((r) => r.spread.some((s) => s !== null));
  lines.push('');
  lines.push(
    '  [a, b]: 95% interval of the change against A' +
      (withSpread ? ' · *: pooled over repeats; their spread counts as noise' : ''),
  );
  for (const note of c.notes) lines.push(`  note: ${note}`);
  const knees = c.runs.filter((r) => r.capacities.length > 0);
  if (knees.length > 0) {
    lines.push('', '  capacity');
    c.runs.forEach((r, i) => {
      for (const cap of r.capacities) {
        const answer =
          cap.max_rate === null
            ? 'none held'
            : `${cap.at_least ? 'at least ' : ''}${cap.max_rate}/s${cap.ceiling === null ? '' : `, broke at ${cap.ceiling}/s`}`;
        lines.push(`    ${letter(i)}  ${answer} (${cap.limited_by}): ${cap.reason}`);
      }
    });
  }
  return `${lines.join('\n')}\n`;
}
