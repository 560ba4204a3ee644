/**
 * The capacity section of the HTML report (and the pieces the comparison page shows): the
 * answer, the two step charts (latency by rate, achieved by rate), the step table with
 * failures by reason, and what limited the broker, in words. The report takes it as an
 * extra section (capacityHtmlSection) from the commands that render a capacity summary.
 */
import { formatMs } from '../model/units.js';
import {
  chart,
  el,
  escapeMarkup as esc,
  figure,
  RUN_COLOR,
  table,
  td,
  th,
  tr,
  type HtmlSection,
} from '../report/html/index.js';
import { int, ms, rate } from '../report/format.js';
import { capacityUnit, type Capacity, type CapacityStep } from '../model/capacity.js';
import type { Summary } from '../model/summary.js';

export interface StepsData {
  steps: { rate: number; achieved: number; p50: number | null; p99: number | null; ok: boolean }[];
  /** the p99 SLO on the latency charted (end-to-end connect; a message search's delivery or publish → ack), ms */
  sloP99: number | null;
}

/** The p99 bound of a `connect_duration p(99) < 500ms` SLO (delivery_duration, publish_ack_duration), in ms. */
export function sloP99Ms(slo: readonly string[]): number | null {
  for (const s of slo) {
    const m =
      /^(?:connect_duration|connect|delivery_duration|publish_ack_duration) p\(99\) <=? (\d+(?:\.\d+)?)(ms|s|m)?$/.exec(
        s.trim(),
      );
    if (m !== null) return Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1);
  }
  return null;
}

/** The chart data: one point per rate (the longest step at it, which is the confirming hold when there is one). */
export function stepsData(c: Capacity): StepsData {
  const byRate = new Map<number, CapacityStep>();
  for (const s of c.steps) {
    const seen = byRate.get(s.rate);
    if (seen === undefined || s.duration_ms >= seen.duration_ms) byRate.set(s.rate, s);
  }
  const steps = [...byRate.values()]
    .sort((a, b) => a.rate - b.rate)
    .map((s) => ({ rate: s.rate, achieved: s.achieved, p50: s.p50, p99: s.p99, ok: s.ok }));
  return { steps, sloP99: sloP99Ms(c.slo) };
}

const LIMITED: Record<Capacity['limited_by'], string> = {
  slo: 'an SLO broke above it',
  generator: 'the load generator saturated first: a lower bound',
  max_rate: 'the maximum rate was reached: a lower bound',
  budget: 'the time budget ran out: a lower bound',
  insecure: 'the broker accepted a credential it must reject',
  interrupted: 'the search was stopped: a lower bound',
};

export function answerText(c: Capacity): string {
  const unit = capacityUnit(c) === 'messages/s' ? ' msg' : '';
  return c.max_rate === null ? 'none held' : `${c.at_least ? '≥ ' : ''}${c.max_rate}${unit}/s`;
}

function stepRow(s: CapacityStep, i: number): string {
  const failures = Object.entries(s.failures)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `<code>${esc(r)}</code> ${int(n)}`)
    .join(', ');
  const state = s.saturated
    ? '<span class="warn" title="generator saturated">!</span>'
    : s.ok
      ? '<span class="ok" title="held">✓</span>'
      : '<span class="no" title="broke">✗</span>';
  const m = s.messages;
  const counts =
    m === undefined
      ? []
      : [
          `published ${int(m.published)} of ${int(m.scheduled)}` +
            (m.acked > 0 ? `, acked ${int(m.acked)}` : '') +
            (m.expected_deliveries > 0 ? `, delivered ${int(m.delivered)} of ${int(m.expected_deliveries)}` : ''),
        ];
  const notes = [
    ...counts,
    ...(s.ok ? [] : s.broke),
    ...(s.saturated ? [`generator saturated: ${s.saturation_reasons.join('; ')}`] : []),
  ];
  const cpu = [
    s.broker_cpu === null ? '' : `broker ${Math.round(s.broker_cpu * 100)}%`,
    s.host_cpu === null ? '' : `host ${Math.round(s.host_cpu * 100)}%`,
  ]
    .filter((x) => x !== '')
    .join(' · ');
  const notesHtml = notes.length > 0 ? `<div class="small">${esc(notes.join(' · '))}</div>` : '';
  const cpuHtml = cpu === '' ? '' : `<div class="muted small">CPU: ${esc(cpu)}</div>`;
  const n = (html: string): string => td(html, 'n');
  const cells = [
    n(String(i + 1)),
    td(esc(s.kind)),
    ...[rate(s.rate), rate(s.achieved), ms(s.p50), ms(s.p99)].map((v) => n(esc(v))),
    n(int(s.messages === undefined ? s.failed : s.messages.lost)),
    n(esc(formatMs(s.duration_ms))),
    td(state, 'c'),
    td(`${failures}${notesHtml}${cpuHtml}`),
  ];
  return tr(cells, s.ok ? '' : 'row-no');
}

function stepColumns(c: Capacity): string[] {
  const messages = capacityUnit(c) === 'messages/s';
  const names = messages
    ? ['messages/s', 'achieved', 'p50', 'p99', 'lost', 'length']
    : ['rate', 'achieved', 'p50', 'p99', 'failed', 'length'];
  return [
    th('step', 'n'),
    th('kind'),
    ...names.map((n) => th(n, 'n')),
    th('ok', 'c'),
    th(messages ? 'messages · what broke' : 'failures by reason · what broke'),
  ];
}

export function stepTable(c: Capacity): string {
  return table('grid steps', stepColumns(c), c.steps.map(stepRow).join('\n'));
}

export function findingsList(c: Capacity): string {
  if (c.findings.length === 0) return '';
  return `<ul class="findings">${c.findings.map((f) => `<li data-finding="${esc(f.kind)}">${esc(f.text)}</li>`).join('')}</ul>`;
}

/** The section's html in a single search's report. */
function capacitySection(c: Capacity): string {
  const k = c.config;
  const tls = [
    k.tls_min_version === null ? '' : `min ${k.tls_min_version}`,
    k.tls_max_version === null ? '' : `max ${k.tls_max_version}`,
  ]
    .filter((x) => x !== '')
    .join(', ');
  const messages = capacityUnit(c) === 'messages/s';
  const tiles = [
    [
      messages ? 'Max sustainable message rate' : 'Max sustainable rate',
      answerText(c),
      c.confirmed ? 'confirmed by a longer hold' : c.at_least ? 'a lower bound' : 'not confirmed',
    ],
    ['Broke at', rate(c.ceiling), c.ceiling === null ? 'no SLO broke' : 'lowest rate that broke'],
    ['Stopped because', esc(c.limited_by), LIMITED[c.limited_by]],
    ['Steps', String(c.steps.length), `${formatMs(c.search.elapsed_ms)} of ${formatMs(c.search.budget_ms)}`],
  ]
    .map(([label, value, note]) => {
      const parts = [
        el('div', esc(label!), 'tile-label'),
        el('div', esc(value!), 'tile-value'),
        el('div', esc(note!), 'tile-note'),
      ];
      return el('div', parts.join(''), 'tile');
    })
    .join('');
  const judged = c.steps.find((s) => s.messages !== undefined && s.messages.latency !== null)?.messages?.latency;
  const latency = messages
    ? `${judged === 'publish_ack' ? 'Publish → ack' : 'Delivery'} p99 (and p50)`
    : 'End-to-end connect p99 (and p50)';
  const latencyCaption =
    `${latency} of each step, against the ${messages ? 'messages/s' : 'rate'} scheduled; ` +
    'the dashed red line is the p99 SLO.';
  const achievedCaption = messages
    ? 'Messages per second the broker passed on (delivered, else acknowledged), against the messages/s scheduled; ' +
      'a broker that keeps up follows the dashed line.'
    : 'Connects per second the broker completed, against the rate scheduled; a broker that keeps up follows the dashed line.';
  const broker =
    k.broker === null
      ? ''
      : ` · broker ${esc(k.broker.name)} (pid ${k.broker.pid}, ${k.broker.threads} thread${k.broker.threads === 1 ? '' : 's'})`;
  const f = c.fleet;
  const fleet =
    f === undefined
      ? ''
      : `<p class="muted small">Fleet: ${int(f.devices)} devices (${int(f.publishing)} publishing on ` +
        `<code>${esc(f.stream)}</code>, QoS ${f.qos}), connected at ${esc(rate(f.connect_rate))} each step; ` +
        `${f.subscribers === 0 ? 'no subscribers' : `${int(f.subscribers)} subscriber(s)`}.</p>`;
  const settings = [
    `device key <code>${esc(k.key)}</code>`,
    `TLS ${esc(tls || 'default versions')}`,
    `MQTT ${esc(k.mqtt)}`,
    `in-flight ${int(k.in_flight)}`,
    `hold ${esc(k.hold_ms === 0 ? '0s' : formatMs(k.hold_ms))}`,
    `${int(k.workers)} workers${broker}`,
  ];
  return `<section id="capacity"><h2>Capacity</h2>
<p class="cap-reason">${esc(c.reason)}</p>
<div class="tiles cap-tiles">${tiles}</div>
<h3>What limited it</h3>
${findingsList(c) || '<p class="muted">Nothing more to say than the reason above.</p>'}
<div class="charts">
${figure('Latency by rate', latencyCaption, chart('capacity:latency', 240, true))}
${figure('Achieved by rate', achievedCaption, chart('capacity:achieved', 240, true))}
</div>
<h3>Steps</h3>
${stepTable(c)}
${fleet}
<p class="muted small">SLOs: ${c.slo.map((s) => `<code>${esc(s)}</code>`).join(' · ')}. Settings: ${settings.join(' · ')}.</p>
</section>`;
}

/** Extra styles for the capacity section and the comparison page. */
export const CAPACITY_CSS = `
.cap-reason { font-size: 16px; font-weight: 550; margin: 4px 0 12px; }
.cap-tiles .tile { background: var(--panel); }
ul.findings { margin: 4px 0 16px; padding-left: 20px; }
ul.findings li { margin: 3px 0; }
.warn { color: var(--warn); font-weight: 700; }
table.steps td:last-child { max-width: 460px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -1px; margin-right: 6px; }
td.beyond-better { color: var(--ok); font-weight: 700; }
td.beyond-worse { color: var(--no); font-weight: 700; }
td.within { color: var(--muted); }
`;

/** The capacity section of a search's report, with its charts' data. */
export function capacityHtmlSection(c: Capacity): HtmlSection {
  const d = stepsData(c);
  return {
    id: 'capacity',
    label: 'Capacity',
    html: capacitySection(c),
    css: CAPACITY_CSS,
    chart: {
      kind: 'steps',
      data: { runs: [{ label: 'this search', color: RUN_COLOR, steps: d.steps }], sloP99: d.sloP99 },
    },
    position: 'before-thresholds',
  };
}

/** The extra sections the report of `summary` needs: the capacity section when it is a search's. */
export function capacityReportSections(summary: Summary): HtmlSection[] {
  return summary.capacity === undefined ? [] : [capacityHtmlSection(summary.capacity)];
}
