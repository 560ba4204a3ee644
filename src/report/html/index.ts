/**
 * The HTML report: one self-contained file (styles, uPlot, the data and the script are all
 * inlined, and a Content-Security-Policy forbids the page any request), readable on a
 * laptop, printable, and the same in Chromium and Firefox. The verdict comes first; then
 * the baseline deltas, thresholds, security, latency percentile curves, timelines,
 * failures explained, the run's configuration and the generator's health.
 */
import { recoverySection, resumptionSection } from './recovery.js';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PHASES } from '../../model/names.js';
import { formatMs } from '../../model/units.js';
import { jsonForScript, reportData, type ReportData } from './data.js';
import {
  configSection,
  deltasSection,
  esc,
  failuresSection,
  generatorSection,
  latencyTable,
  PHASE_LABEL,
  securitySection,
  thresholdsSection,
  verdictSection,
} from './sections.js';
import { CLIENT_JS } from './client.js';
import { CAPACITY_CSS, capacitySection } from '../../capacity/html.js';
import { REPORT_CSS } from './style.js';
import type { Summary, TimeSeries } from '../../model/summary.js';

type AnySummary = Summary & { series?: TimeSeries };

export interface HtmlReportOptions {
  baseline?: AnySummary;
  /** when the report was made (default: now); shown in the footer */
  generatedAt?: Date;
}

/** The policy of the page: nothing may be fetched, only the inlined script and styles run. */
export const REPORT_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export interface Assets {
  uplotJs: string;
  uplotCss: string;
  version: string;
}
let assets: Assets | undefined;

/** uPlot's script and stylesheet from node_modules, read once per process. */
export function loadAssets(): Assets {
  if (assets !== undefined) return assets;
  const require = createRequire(import.meta.url);
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  // inside a <script>/<style> element only "</" can end it early
  assets = {
    uplotJs: js.replace(/<\/(script)/gi, '<\\/$1'),
    uplotCss: css.replace(/<\/(style)/gi, '<\\/$1'),
    version: ownVersion(),
  };
  return assets;
}

/** mqtt-herd's version from its package.json (found upwards from this file, in src/ or dist/src/). */
function ownVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mqtt-herd') return pkg.version ?? '';
    } catch {
      // not here: look one level up
    }
    dir = dirname(dir);
  }
  return '';
}

/** End to end first (the number people ask for), then the phases in the order they happen. */
const PHASE_ORDER = ['connect', ...PHASES.filter((p) => p !== 'connect')] as const;

function latencySection(s: Summary, data: ReportData): string {
  const phases = PHASE_ORDER.filter(
    (p) => s.latency[p].count > 0 || (data.baseline?.curves.phases[p] ?? null) !== null,
  );
  const figures = phases.map((p, i) => {
    const l = s.latency[p];
    const caption =
      l.count > 0
        ? `${l.count.toLocaleString('en-US')} values · p50 ${formatMs(l.p50)} · p99 ${formatMs(l.p99)} · max ${formatMs(l.max)}`
        : 'nothing recorded in this run';
    const wide = i === 0 ? ' wide' : '';
    return `<figure class="${wide.trim()}"><h3>${esc(PHASE_LABEL[p])}</h3><figcaption>${esc(caption)}</figcaption><div class="chart" data-chart="percentile:${p}" data-height="${i === 0 ? 280 : 220}" data-half="${i === 0 ? 0 : 1}"></div></figure>`;
  });
  const skipped = PHASE_ORDER.filter((p) => !phases.includes(p)).map((p) => PHASE_LABEL[p]);
  const note =
    skipped.length === 0 ? '' : `<p class="muted small">Not measured in this run: ${esc(skipped.join(', '))}.</p>`;
  return `<section id="latency"><h2>Latency by percentile</h2>
<p class="muted">How long each phase took, for every percentile of the attempts: read a curve at 99% to see what 1 attempt in 100 waited at least. End to end counts from the moment the schedule meant the attempt to start, so a slow generator cannot hide a slow broker.${data.baseline === null ? '' : ' The dashed grey curve is the baseline.'}</p>
<div class="charts">${figures.join('\n')}</div>
${note}
${latencyTable(s)}
</section>`;
}

function timelineSection(s: AnySummary, data: ReportData): string {
  const t = data.run.timeline;
  if (t === null)
    return `<section id="timeline"><h2>Timeline</h2><p class="muted">This summary has no per-second series.</p></section>`;
  const coarse =
    t.resolution > 1
      ? ` Each point covers ${t.resolution} s (the series was downsampled to stay small); its p99 is the highest of the seconds merged into it.`
      : '';
  const hasFailures = t.reasons.length > 0 || t.rejected.some((v) => v > 0) || t.unexpected.some((v) => v > 0);
  const fig = (kind: string, title: string, caption: string): string =>
    `<figure><h3>${esc(title)}</h3><figcaption>${esc(caption)}</figcaption><div class="chart" data-chart="timeline:${kind}" data-height="220" data-half="1"></div></figure>`;
  const figures = [
    fig('rate', 'Connect rate', 'Attempts started and connections established per second.'),
    fig('active', 'Active connections', 'Connections open at once (the most seen in each point).'),
    fig(
      'latency',
      'Connect latency over time',
      'End-to-end connect p50 and p99 of the connects completed in each point, ms.',
    ),
    hasFailures
      ? fig(
          'failures',
          'Failures by reason',
          'Failed attempts and dropped connections per second, by reason; faulty devices rejected as expected dashed.',
        )
      : `<figure><h3>Failures by reason</h3><div class="chart-empty">No failures during the run.</div></figure>`,
  ];
  return `<section id="timeline"><h2>Timeline</h2><p class="muted">Drag across a chart to zoom in on a stretch of time; double-click to zoom out.${esc(coarse)}</p>
<div class="charts">${figures.join('\n')}</div></section>`;
}

const when = (iso: string): string =>
  Number.isFinite(Date.parse(iso))
    ? new Date(iso)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : iso;

/** The whole report as one HTML document. */
export function renderHtmlReport(summary: AnySummary, options: HtmlReportOptions = {}): string {
  const { uplotJs, uplotCss, version } = loadAssets();
  const baseline = options.baseline;
  const data = reportData(summary, baseline);
  const generated = when((options.generatedAt ?? new Date()).toISOString());
  const r = summary.run;
  const title = `${summary.verdict.toUpperCase()} · ${r.scenario} · mqtt-herd report`;
  const toc = [
    ['verdict', 'Verdict'],
    ...(baseline === undefined ? [] : [['baseline', 'Baseline']]),
    ...(summary.capacity === undefined ? [] : [['capacity', 'Capacity']]),
    ['thresholds', 'Thresholds'],
    ...(summary.security.length > 0 ? [['security', 'Security']] : []),
    ['latency', 'Latency'],
    ['timeline', 'Timeline'],
    ['failures', 'Failures'],
    ['config', 'Configuration'],
    ['generator', 'Generator'],
  ];
  const body = [
    `<header class="top"><h1>mqtt-herd report: ${esc(r.scenario)}</h1><span class="sub">${esc(r.target)} · ${esc(when(r.started))}</span></header>`,
    `<nav class="toc">${toc.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>`,
    '<noscript><p>The charts need JavaScript; every number is also in the tables.</p></noscript>',
    verdictSection(summary),
    baseline === undefined ? '' : deltasSection(summary, baseline),
    summary.capacity === undefined ? '' : capacitySection(summary.capacity),
    thresholdsSection(summary),
    securitySection(summary),
    recoverySection(summary),
    latencySection(summary, data),
    resumptionSection(summary),
    timelineSection(summary, data),
    failuresSection(summary),
    `<div class="two">${configSection(summary)}${generatorSection(summary)}</div>`,
    `<footer>Made by mqtt-herd${version === '' ? '' : ` ${esc(version)}`} on ${esc(generated)} from run <code>${esc(r.id)}</code>${baseline === undefined ? '' : `, against baseline <code>${esc(baseline.run.id)}</code>`}. This file needs no network.</footer>`,
  ]
    .filter((x) => x !== '')
    .join('\n');
  return htmlPage({
    title,
    version,
    css: `${REPORT_CSS}${summary.capacity === undefined ? '' : CAPACITY_CSS}`,
    body,
    dataJson: jsonForScript(data),
    clientJs: CLIENT_JS,
    uplotCss,
    uplotJs,
  });
}

/**
 * Writes the report of `summary` (compared with `baseline` when given) to `file`,
 * atomically (a temporary file renamed into place).
 */
export async function writeHtmlReport(summary: AnySummary, file: string, baseline?: AnySummary): Promise<void> {
  const html = renderHtmlReport(summary, baseline === undefined ? {} : { baseline });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, html, { mode: 0o644 });
  await rename(tmp, file);
}

/** The one-file page every report is: CSP forbidding any request, styles, body, data, scripts. */
export function htmlPage(p: {
  title: string;
  version: string;
  css: string;
  body: string;
  dataJson: string;
  clientJs: string;
  uplotCss: string;
  uplotJs: string;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mqtt-herd${p.version === '' ? '' : ` ${esc(p.version)}`}">
<title>${esc(p.title)}</title>
<style>${p.uplotCss}</style>
<style>${p.css}</style>
</head>
<body>
<main>
${p.body}
</main>
<script type="application/json" id="herd-data">${p.dataJson}</script>
<script>${p.uplotJs}</script>
<script>${p.clientJs}</script>
</body>
</html>
`;
}
