/**
 * `herd compare --html`: one self-contained page with the runs, the changes against the
 * first run (interval and noise verdict for each), every phase's percentile curves with
 * all runs overlaid, and the capacity knees. Built from the report's pieces: its styles,
 * uPlot, the percentile grid, the chart kit and the capacity section's table.
 */
import { writeFileAtomic } from '../util/atomic-file.js';
import { MESSAGE_PHASES } from '../model/messages.js';
import { int, utcTime } from '../report/format.js';
import {
  chart,
  escapeMarkup as esc,
  figure,
  htmlPage,
  jsonForScript,
  latencyCurves,
  loadAssets,
  percentileGrid,
  PHASE_LABEL,
  PHASE_ORDER,
  REPORT_CSS,
  RUN_COLOR,
  table,
  td,
  th,
  thead,
  tr,
} from '../report/html/index.js';
import { COMPARE_CLIENT_JS } from './client.js';
import { answerText, CAPACITY_CSS, findingsList, sloP99Ms, stepsData, stepTable } from '../capacity/html.js';
import { formatDelta, formatInterval, formatValue, letter, verdictWord } from './console.js';
import type { Comparison, MetricRow } from './compare.js';

/** One colour per run, the same in tables and charts (A is the report's blue). */
const RUN_COLORS = [RUN_COLOR, '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
const color = (i: number): string => RUN_COLORS[i % RUN_COLORS.length]!;
const swatch = (i: number): string => `<span class="swatch" style="background:${color(i)}"></span>`;

function compareData(c: Comparison): unknown {
  const grid = percentileGrid();
  const withCapacity = c.runs.flatMap((r, i) =>
    r.capacities.map((cap, k) => ({
      label: `${letter(i)}${r.capacities.length > 1 ? ` #${k + 1}` : ''}`,
      color: color(i),
      steps: stepsData(cap).steps,
    })),
  );
  const slo = c.runs.flatMap((r) => r.capacities.map((cap) => sloP99Ms(cap.slo))).find((v) => v !== null) ?? null;
  return {
    x: grid,
    runs: c.runs.map((r, i) => ({
      letter: letter(i),
      label: r.label,
      color: color(i),
      phases: latencyCurves(r.pooled.latency, grid).phases,
    })),
    capacity: withCapacity.length > 0 ? withCapacity : null,
    sloP99: slo,
  };
}

/** The settings that differ between the runs, one row each. */
function differencesTable(c: Comparison): string {
  if (c.differences.length === 0)
    return (
      '<p class="muted">The settings the summaries record (scenario, target, protocol, executor; ' +
      'for capacity searches also the key type, TLS versions and in-flight cap) are the same: the labels say what else differed.</p>'
    );
  const head = [th('setting that differs'), ...c.runs.map((_, i) => th(`${swatch(i)}${letter(i)}`))];
  const rows = c.differences.map((d) => tr([td(esc(d.setting)), ...d.values.map((v) => td(`<code>${esc(v)}</code>`))]));
  return `<table class="grid">${thead(head)}<tbody>${rows.join('')}</tbody></table>`;
}

function runsSection(c: Comparison): string {
  const rows = c.runs
    .map((r, i) => {
      const s = r.pooled;
      const repeats = r.summaries.length > 1 ? ` <span class="muted">(${r.summaries.length} repeats)</span>` : '';
      return tr([
        td(`${swatch(i)}<strong>${letter(i)}</strong>`),
        `<td data-run-label>${esc(r.label)}</td>`,
        td(`<span class="v-${s.verdict}">${esc(s.verdict)}</span>`),
        td(esc(s.run.executor)),
        td(int(s.counts.connected), 'n'),
        td(`${esc(utcTime(s.run.started))}${repeats}`),
        td(r.files.map((f) => `<code>${esc(f)}</code>`).join('<br>'), 'small'),
      ]);
    })
    .join('\n');
  const head = ['run', 'label', 'verdict', 'executor']
    .map((h) => th(h))
    .concat(th('connects', 'n'), th('started'), th('file'));
  return `<section id="runs"><h2>Runs</h2>
${table('grid', head, rows)}
${differencesTable(c)}
</section>`;
}

const GROUP_LABEL: Record<string, string> = { capacity: 'Capacity knee', failures: 'Failures', ...PHASE_LABEL };

function changeCell(row: MetricRow, i: number): string {
  const d = row.deltas[i];
  if (d === null || d === undefined) return '<td class="within">–</td>';
  const cls = !d.beyondNoise || d.verdict === 'same' ? 'within' : `beyond-${d.verdict}`;
  const html = `${esc(formatDelta(row, d))}<div class="small">${esc(formatInterval(row, d))}</div><div class="small">${esc(verdictWord(d))}</div>`;
  return `<td class="${cls}" data-verdict="${d.beyondNoise ? d.verdict : 'noise'}">${html}</td>`;
}

function changesSection(c: Comparison): string {
  let group = '';
  const body = c.rows
    .map((row) => {
      const g = row.group === group ? '' : (GROUP_LABEL[row.group] ?? row.group);
      group = row.group;
      const values = row.values.map((v, i) => {
        const sp = row.spread[i];
        const range =
          sp === null || sp === undefined
            ? ''
            : `<div class="muted small">${esc(formatValue(row, sp[0]))}–${esc(formatValue(row, sp[1]))}</div>`;
        return td(`${esc(formatValue(row, v))}${range}`, 'n');
      });
      const changes = c.runs.slice(1).map((_, k) => changeCell(row, k + 1));
      return `<tr data-row="${esc(row.group)}:${esc(row.metric)}"><td>${esc(g)}</td><td>${esc(row.metric)}</td>${values.join('')}${changes.join('')}</tr>`;
    })
    .join('\n');
  const head = [
    th('phase'),
    th('metric'),
    ...c.runs.map((_, i) => th(`${swatch(i)}${letter(i)}`, 'n')),
    ...c.runs.slice(1).map((_, k) => th(`${letter(k + 1)} against A`)),
  ];
  const repeats = c.runs.some((r) => r.summaries.length > 1)
    ? '; with repeats on both sides their ranges (shown under the values) must not overlap either'
    : '';
  const intro =
    `Each run against A (${esc(c.runs[0]!.label)}): the change, its 95% interval, and whether it is beyond noise — ` +
    '<span class="better">better</span> or <span class="worse">worse</span> — or within it. ' +
    `Latency intervals come from a bootstrap over each run’s HDR histograms${repeats}; ` +
    'the failure rate’s from the two proportions; knees differ when the rates that held and broke do not overlap.';
  return `<section id="changes"><h2>Changes against A</h2>
<p class="muted">${intro}</p>
${table('grid compare', head, body)}</section>`;
}

function latencySection(c: Comparison): string {
  const phases = [...PHASE_ORDER, ...MESSAGE_PHASES].filter((p) =>
    c.runs.some((r) => (r.pooled.latency[p]?.count ?? 0) > 0),
  );
  const legend = c.runs.map((r, i) => `${swatch(i)}${letter(i)} ${esc(r.label)}`).join(' &nbsp; ');
  const figures = phases.map((p, i) => {
    const caption = c.runs
      .map((r, k) => {
        const l = r.pooled.latency[p];
        return l !== undefined && l.count > 0
          ? `${letter(k)} p50 ${formatValue({ unit: 'ms' }, l.p50)}, p99 ${formatValue({ unit: 'ms' }, l.p99)}`
          : `${letter(k)} –`;
      })
      .join(' · ');
    const box = chart(`compare:${p}`, i === 0 ? 300 : 230, i !== 0);
    return figure(esc(PHASE_LABEL[p]), esc(caption), box, i === 0 ? 'wide' : '');
  });
  return `<section id="latency"><h2>Latency by percentile, per phase</h2>
<p class="muted">Every run’s curve of a phase in one chart: read each at 99% to see what 1 attempt in 100 waited at least. ${legend}</p>
<div class="charts">${figures.join('\n')}</div></section>`;
}

function capacitySection(c: Comparison): string {
  if (c.runs.every((r) => r.capacities.length === 0)) return '';
  const rows = c.runs
    .flatMap((r, i) =>
      r.capacities.map((cap) =>
        tr([
          td(`${swatch(i)}<strong>${letter(i)}</strong> ${esc(r.label)}`),
          `<td class="n" data-knee>${esc(answerText(cap))}</td>`,
          td(cap.ceiling === null ? '–' : `${cap.ceiling}/s`, 'n'),
          td(esc(cap.limited_by)),
          td(`${esc(cap.reason)}${findingsList(cap)}`),
        ]),
      ),
    )
    .join('\n');
  const tables = c.runs
    .flatMap((r, i) =>
      r.capacities.map(
        (cap) => `<details><summary>${letter(i)} ${esc(r.label)}: the steps</summary>${stepTable(cap)}</details>`,
      ),
    )
    .join('\n');
  const head = [th('run'), th('max sustainable', 'n'), th('broke at', 'n'), th('stopped'), th('why')];
  const latencyCaption =
    'Each search’s steps: end-to-end connect p99 against the rate scheduled (log axes); dashed red: the p99 SLO.';
  const achievedCaption = 'Connects per second completed against scheduled; the dashed grey line is “kept up”.';
  return `<section id="capacity"><h2>Capacity knees</h2>
${table('grid', head, rows)}
<div class="charts">
${figure('p99 by rate', latencyCaption, chart('steps:latency', 260, true))}
${figure('Achieved by rate', achievedCaption, chart('steps:achieved', 260, true))}
</div>
${tables}
</section>`;
}

/** The verdict words of the runs table, in the report's colours. */
const VERDICT_CSS =
  '.v-pass { color: var(--ok); font-weight: 600; } .v-fail, .v-insecure { color: var(--no); font-weight: 600; } ' +
  '.v-inconclusive { color: var(--warn); font-weight: 600; }';

/** The page's own styles, after the report's and the capacity section's. */
const COMPARE_CSS = `
table.compare td { vertical-align: top; }
${VERDICT_CSS}
details { margin: 10px 0; } details summary { cursor: pointer; color: var(--muted); }
@media print { details { display: none; } }
`;

export function renderCompareHtml(c: Comparison, generatedAt = new Date()): string {
  const { uplotJs, uplotCss, version } = loadAssets();
  const title = `${c.runs.map((r, i) => `${letter(i)} ${r.label}`).join(' vs ')} · mqtt-herd comparison`;
  const hasCapacity = c.runs.some((r) => r.capacities.length > 0);
  const toc = [
    ['runs', 'Runs'],
    ['changes', 'Changes'],
    ['latency', 'Latency'],
    ...(hasCapacity ? [['capacity', 'Capacity']] : []),
    ...(c.notes.length > 0 ? [['notes', 'Notes']] : []),
  ];
  const notes =
    c.notes.length === 0
      ? ''
      : `<section id="notes"><h2>Notes</h2><ul>${c.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
  const legend = c.runs.map((r, i) => `${swatch(i)}${letter(i)} ${esc(r.label)}`).join(' &nbsp; ');
  const body = [
    `<header class="top"><h1>mqtt-herd comparison: ${c.runs.length} runs</h1><span class="sub">${legend}</span></header>`,
    `<nav class="toc">${toc.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>`,
    '<noscript><p>The charts need JavaScript; every number is also in the tables.</p></noscript>',
    runsSection(c),
    changesSection(c),
    latencySection(c),
    capacitySection(c),
    notes,
    `<footer>Made by mqtt-herd${version === '' ? '' : ` ${esc(version)}`} on ${esc(utcTime(generatedAt.toISOString()))}. This file needs no network.</footer>`,
  ]
    .filter((x) => x !== '')
    .join('\n');
  return htmlPage({
    title,
    version,
    css: `${REPORT_CSS}${CAPACITY_CSS}${COMPARE_CSS}`,
    body,
    dataJson: jsonForScript(compareData(c)),
    clientJs: COMPARE_CLIENT_JS,
    uplotCss,
    uplotJs,
  });
}

/** Writes the page atomically; returns its size in bytes. */
export async function writeCompareHtml(c: Comparison, file: string): Promise<number> {
  const html = renderCompareHtml(c);
  await writeFileAtomic(file, html, { mode: 0o644 });
  return Buffer.byteLength(html);
}
