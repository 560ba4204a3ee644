/** HTML sections for what the run's executor adds (a storm's recovery) and for TLS session resumption. */
import { escapeMarkup as esc } from '../escape.js';
import { explainLoad } from '../../load/registry.js';
import { int, tableMs } from '../format.js';
import type { PhaseLatency, Summary } from '../../model/summary.js';

/** What the run's executor adds in words (a storm's recovery), each as a section. */
export function explanationSections(s: Summary): string {
  return explainLoad(s)
    .map((x) => {
      const rows = x.table.rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td class="n">${esc(v)}</td></tr>`).join('\n');
      return `<section id="${esc(x.id)}"><h2>${esc(x.title)} <span class="count">${esc(x.headline)}</span></h2>
<p class="muted">${esc(x.text)}</p>
<table class="grid"><thead><tr><th>${esc(x.table.head[0])}</th><th class="n">${esc(x.table.head[1])}</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
    })
    .join('\n');
}

function row(label: string, l: PhaseLatency): string {
  const cells = l.count === 0 ? ['–', '–', '–', '–'] : [l.p50, l.p90, l.p99, l.max].map(tableMs);
  return `<tr><td>${esc(label)}</td><td class="n">${int(l.count)}</td>${cells.map((c) => `<td class="n">${c}</td>`).join('')}</tr>`;
}

export function resumptionSection(s: Summary): string {
  const r = s.resumption;
  if (r === undefined) return '';
  return `<section id="resumption"><h2>TLS session resumption <span class="count">${int(r.resumed)} resumed · ${int(r.full)} full</span></h2>
<p class="muted">A resumed handshake skips the certificate exchange (and the broker's check of the device certificate), so it is measured apart: the tls phase above holds full handshakes only.</p>
<table class="grid"><thead><tr><th>handshake (ms)</th><th class="n">count</th><th class="n">p50</th><th class="n">p90</th><th class="n">p99</th><th class="n">max</th></tr></thead><tbody>
${row('full', r.tls_full)}
${row('resumed', r.tls_resumed)}
</tbody></table></section>`;
}
