/**
 * `herd compare --html`: one self-contained page with the runs, the changes against the
 * first run (interval and noise verdict for each), every phase's percentile curves with
 * all runs overlaid, and the capacity knees. Built from the report's pieces: its styles,
 * uPlot, the percentile grid, the chart kit and the capacity section's table.
 */
import { writeFileAtomic } from '../util/atomic-file.js';
import { int, utcTime } from '../report/format.js';
import {
  escapeMarkup as esc,
  htmlPage,
  jsonForScript,
  latencyCurves,
  loadAssets,
  percentileGrid,
  PHASE_LABEL,
  PHASE_ORDER,
  REPORT_CSS,
  RUN_COLOR,
} from '../report/html/index.js';
import { COMPARE_CLIENT_JS } from './client.js';
import { answerText, CAPACITY_CSS, findingsList, sloP99Ms, stepsData, stepTable } from '../capacity/html.js';
import { formatDelta, formatInterval, formatValue, letter, verdictWord } from './console.js';
import type { Comparison, MetricRow } from './compare.js';

/** One colour per run, the same in tables and charts (A is the report's blue). */
export const RUN_COLORS = [RUN_COLOR, '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
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

function runsSection(c: Comparison): string {
  const rows = c.runs
    .map((r, i) => {
      const s = r.pooled;
      return `<tr><td>${swatch(i)}<strong>${letter(i)}</strong></td><td data-run-label>${esc(r.label)}</td><td><span class="v-${s.verdict}">${esc(s.verdict)}</span></td><td>${esc(s.run.executor)}</td><td class="n">${int(s.counts.connected)}</td><td>${esc(utcTime(s.run.started))}${r.summaries.length > 1 ? ` <span class="muted">(${r.summaries.length} repeats)</span>` : ''}</td><td class="small">${r.files.map((f) => `<code>${esc(f)}</code>`).join('<br>')}</td></tr>`;
    })
    .join('\n');
  const diffs =
    c.differences.length === 0
      ? '<p class="muted">The settings the summaries record (scenario, target, protocol, executor; for capacity searches also the key type, TLS versions and in-flight cap) are the same: the labels say what else differed.</p>'
      : `<table class="grid"><thead><tr><th>setting that differs</th>${c.runs.map((_, i) => `<th>${swatch(i)}${letter(i)}</th>`).join('')}</tr></thead><tbody>${c.differences.map((d) => `<tr><td>${esc(d.setting)}</td>${d.values.map((v) => `<td><code>${esc(v)}</code></td>`).join('')}</tr>`).join('')}</tbody></table>`;
  return `<section id="runs"><h2>Runs</h2>
<table class="grid"><thead><tr><th>run</th><th>label</th><th>verdict</th><th>executor</th><th class="n">connects</th><th>started</th><th>file</th></tr></thead><tbody>
${rows}
</tbody></table>
${diffs}
</section>`;
}

const GROUP_LABEL: Record<string, string> = { capacity: 'Capacity knee', failures: 'Failures', ...PHASE_LABEL };

function changeCell(row: MetricRow, i: number): string {
  const d = row.deltas[i];
  if (d === null || d === undefined) return '<td class="within">–</td>';
  const cls = !d.beyondNoise || d.verdict === 'same' ? 'within' : `beyond-${d.verdict}`;
  return `<td class="${cls}" data-verdict="${d.beyondNoise ? d.verdict : 'noise'}">${esc(formatDelta(row, d))}<div class="small">${esc(formatInterval(row, d))}</div><div class="small">${esc(verdictWord(d))}</div></td>`;
}

function changesSection(c: Comparison): string {
  let group = '';
  const body = c.rows
    .map((row) => {
      const g = row.group === group ? '' : (GROUP_LABEL[row.group] ?? row.group);
      group = row.group;
      const values = row.values.map((v, i) => {
        const sp = row.spread[i];
        return `<td class="n">${esc(formatValue(row, v))}${sp === null || sp === undefined ? '' : `<div class="muted small">${esc(formatValue(row, sp[0]))}–${esc(formatValue(row, sp[1]))}</div>`}</td>`;
      });
      const changes = c.runs.slice(1).map((_, k) => changeCell(row, k + 1));
      return `<tr data-row="${esc(row.group)}:${esc(row.metric)}"><td>${esc(g)}</td><td>${esc(row.metric)}</td>${values.join('')}${changes.join('')}</tr>`;
    })
    .join('\n');
  const head = `<th>phase</th><th>metric</th>${c.runs.map((_, i) => `<th class="n">${swatch(i)}${letter(i)}</th>`).join('')}${c.runs
    .slice(1)
    .map((_, k) => `<th>${letter(k + 1)} against A</th>`)
    .join('')}`;
  return `<section id="changes"><h2>Changes against A</h2>
<p class="muted">Each run against A (${esc(c.runs[0]!.label)}): the change, its 95% interval, and whether it is beyond noise — <span class="better">better</span> or <span class="worse">worse</span> — or within it. Latency intervals come from a bootstrap over each run’s HDR histograms${c.runs.some((r) => r.summaries.length > 1) ? '; with repeats on both sides their ranges (shown under the values) must not overlap either' : ''}; the failure rate’s from the two proportions; knees differ when the rates that held and broke do not overlap.</p>
<table class="grid compare"><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table></section>`;
}

function latencySection(c: Comparison): string {
  const phases = PHASE_ORDER.filter((p) => c.runs.some((r) => r.pooled.latency[p].count > 0));
  const legend = c.runs.map((r, i) => `${swatch(i)}${letter(i)} ${esc(r.label)}`).join(' &nbsp; ');
  const figures = phases.map((p, i) => {
    const caption = c.runs
      .map((r, k) =>
        r.pooled.latency[p].count > 0
          ? `${letter(k)} p50 ${formatValue({ unit: 'ms' }, r.pooled.latency[p].p50)}, p99 ${formatValue({ unit: 'ms' }, r.pooled.latency[p].p99)}`
          : `${letter(k)} –`,
      )
      .join(' · ');
    return `<figure class="${i === 0 ? 'wide' : ''}"><h3>${esc(PHASE_LABEL[p])}</h3><figcaption>${esc(caption)}</figcaption><div class="chart" data-chart="compare:${p}" data-height="${i === 0 ? 300 : 230}" data-half="${i === 0 ? 0 : 1}"></div></figure>`;
  });
  return `<section id="latency"><h2>Latency by percentile, per phase</h2>
<p class="muted">Every run’s curve of a phase in one chart: read each at 99% to see what 1 attempt in 100 waited at least. ${legend}</p>
<div class="charts">${figures.join('\n')}</div></section>`;
}

function capacitySection(c: Comparison): string {
  if (c.runs.every((r) => r.capacities.length === 0)) return '';
  const rows = c.runs
    .flatMap((r, i) =>
      r.capacities.map(
        (cap) =>
          `<tr><td>${swatch(i)}<strong>${letter(i)}</strong> ${esc(r.label)}</td><td class="n" data-knee>${esc(answerText(cap))}</td><td class="n">${cap.ceiling === null ? '–' : `${cap.ceiling}/s`}</td><td>${esc(cap.limited_by)}</td><td>${esc(cap.reason)}${findingsList(cap)}</td></tr>`,
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
  return `<section id="capacity"><h2>Capacity knees</h2>
<table class="grid"><thead><tr><th>run</th><th class="n">max sustainable</th><th class="n">broke at</th><th>stopped</th><th>why</th></tr></thead><tbody>
${rows}
</tbody></table>
<div class="charts">
<figure><h3>p99 by rate</h3><figcaption>Each search’s steps: end-to-end connect p99 against the rate scheduled (log axes); dashed red: the p99 SLO.</figcaption><div class="chart" data-chart="steps:latency" data-height="260" data-half="1"></div></figure>
<figure><h3>Achieved by rate</h3><figcaption>Connects per second completed against scheduled; the dashed grey line is “kept up”.</figcaption><div class="chart" data-chart="steps:achieved" data-height="260" data-half="1"></div></figure>
</div>
${tables}
</section>`;
}

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
  const body = [
    `<header class="top"><h1>mqtt-herd comparison: ${c.runs.length} runs</h1><span class="sub">${c.runs.map((r, i) => `${swatch(i)}${letter(i)} ${esc(r.label)}`).join(' &nbsp; ')}</span></header>`,
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
  const css = `${REPORT_CSS}${CAPACITY_CSS}
table.compare td { vertical-align: top; }
.v-pass { color: var(--ok); font-weight: 600; } .v-fail, .v-insecure { color: var(--no); font-weight: 600; } .v-inconclusive { color: var(--warn); font-weight: 600; }
details { margin: 10px 0; } details summary { cursor: pointer; color: var(--muted); }
@media print { details { display: none; } }
`;
  return htmlPage({
    title,
    version,
    css,
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
