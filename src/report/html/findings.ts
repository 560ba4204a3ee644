/**
 * The report's "What limited this run" section: each finding of the summary, most severe
 * first, in words and with the figures behind it as a small table. Every value is escaped.
 */
import type { Finding, Summary } from '../../model/summary.js';
import { escapeMarkup as esc } from '../escape.js';
import { NONE } from '../format.js';
import { table, td, th, tr } from './markup.js';

const ORDER: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2 };
const MARK: Record<Finding['severity'], string> = { error: '✗', warning: '!', info: 'i' };

/** An evidence value as text: numbers as they are (large ones grouped), null as a dash. */
function value(v: number | string | null): string {
  if (v === null) return NONE;
  if (typeof v === 'number') return Math.abs(v) >= 10_000 ? v.toLocaleString('en-US') : String(v);
  return v;
}

function findingHtml(f: Finding): string {
  const rows = Object.entries(f.evidence)
    .map(([k, v]) => tr([td(`<code>${esc(k)}</code>`), td(esc(value(v)), 'n')]))
    .join('\n');
  const head = `<span class="sev sev-${f.severity}"><span aria-hidden="true">${MARK[f.severity]}</span> ${f.severity}</span>`;
  const evidence = rows === '' ? '' : table('grid evidence', [th('evidence'), th('value', 'n')], rows);
  return `<div class="finding finding-${f.severity}" data-code="${esc(f.code)}">
<p class="finding-head">${head} <code>${esc(f.code)}</code></p>
<p class="finding-message">${esc(f.message)}</p>
${evidence}</div>`;
}

/** The section, or '' when the summary has no finding (an older summary, or nothing to say). */
export function findingsSection(s: Summary): string {
  if (s.findings.length === 0) return '';
  const sorted = s.findings
    .map((f, i) => [f, i] as const)
    .sort(([a, i], [b, j]) => ORDER[a.severity] - ORDER[b.severity] || i - j)
    .map(([f]) => f);
  const tally = (['error', 'warning', 'info'] as const)
    .map((sev) => [sev, sorted.filter((f) => f.severity === sev).length] as const)
    .filter(([, n]) => n > 0)
    .map(([sev, n]) => `${n} ${sev}${n === 1 ? '' : sev === 'info' ? '' : 's'}`)
    .join(' · ');
  return `<section id="findings"><h2>What limited this run <span class="count">${esc(tally)}</span></h2>
${sorted.map(findingHtml).join('\n')}</section>`;
}
