/** HTML sections for a reconnect storm's recovery and for TLS session resumption. */
import { esc } from './sections.js';
import { int, tableMs } from '../format.js';
import type { PhaseLatency, Summary } from '../../model/summary.js';

const DROP_TEXT: Record<string, string> = {
  'broker-restart': 'the broker restarted',
  disconnect: 'every connection was cut from the generator side (a network outage)',
};

const ms = (v: number | null): string => (v === null ? '<span class="muted">not reached</span>' : `${tableMs(v)} ms`);

export function recoverySection(s: Summary): string {
  const r = s.recovery;
  if (r === undefined) return '';
  const all = r.dropped > 0 && r.recovered === r.dropped;
  const rows = (
    [
      ['50%', r.t50_ms],
      ['90%', r.t90_ms],
      ['99%', r.t99_ms],
      ['100%', r.t100_ms],
    ] as const
  )
    .map(([share, v]) => `<tr><td>${share} of the dropped devices back</td><td class="n">${ms(v)}</td></tr>`)
    .join('\n');
  return `<section id="recovery"><h2>Reconnect storm: recovery <span class="count">${int(r.recovered)} of ${int(r.dropped)} back</span></h2>
<p class="muted">At ${esc(r.dropped_at ?? '–')} ${esc(DROP_TEXT[r.drop] ?? r.drop)}. Every dropped device reconnected with exponential backoff and full jitter, as device firmware does; ${int(r.reconnect_attempts)} reconnect attempts in all, at most ${int(r.peak_connect_rate)} completed in one second.${all ? '' : ' Not every device came back before the run ended.'}</p>
<table class="grid"><thead><tr><th>time from the drop until</th><th class="n">ms</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
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
