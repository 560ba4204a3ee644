/** HTML sections for what the run's executor adds (a storm's recovery) and for TLS session resumption. */
import { escapeMarkup as esc } from '../escape.js';
import { explainLoad } from '../../load/registry.js';
import { int, tableMs } from '../format.js';
import type { PhaseLatency, Summary } from '../../model/summary.js';
import { table, td, th, tr } from './markup.js';

/** What the run's executor adds in words (a storm's recovery), each as a section. */
export function explanationSections(s: Summary): string {
  return explainLoad(s)
    .map((x) => {
      const rows = x.table.rows.map(([k, v]) => tr([td(esc(k)), td(esc(v), 'n')])).join('\n');
      const head = [th(esc(x.table.head[0])), th(esc(x.table.head[1]), 'n')];
      return `<section id="${esc(x.id)}"><h2>${esc(x.title)} <span class="count">${esc(x.headline)}</span></h2>
<p class="muted">${esc(x.text)}</p>
${table('grid', head, rows)}</section>`;
    })
    .join('\n');
}

function row(label: string, l: PhaseLatency): string {
  const cells = l.count === 0 ? ['–', '–', '–', '–'] : [l.p50, l.p90, l.p99, l.max].map(tableMs);
  return tr([td(esc(label)), td(int(l.count), 'n'), ...cells.map((c) => td(c, 'n'))]);
}

export function resumptionSection(s: Summary): string {
  const r = s.resumption;
  if (r === undefined) return '';
  const head = [th('handshake (ms)'), ...['count', 'p50', 'p90', 'p99', 'max'].map((n) => th(n, 'n'))];
  const apart =
    "A resumed handshake skips the certificate exchange (and the broker's check of the device certificate), " +
    'so it is measured apart: the tls phase above holds full handshakes only.';
  return `<section id="resumption"><h2>TLS session resumption <span class="count">${int(r.resumed)} resumed · ${int(r.full)} full</span></h2>
<p class="muted">${apart}</p>
${table('grid', head, `${row('full', r.tls_full)}\n${row('resumed', r.tls_resumed)}`)}</section>`;
}
