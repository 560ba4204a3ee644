/**
 * The HTML report: one self-contained file (styles, uPlot, the data and the script are all
 * inlined, and a Content-Security-Policy forbids the page any request), readable on a
 * laptop, printable, and the same in Chromium and Firefox. The verdict comes first; then
 * what limited the run, the baseline deltas, the caller's extra sections (a capacity search's), thresholds,
 * security, messages per stream (with traffic), latency percentile curves, timelines, failures explained, the run's
 * configuration and the generator's health. Also the pieces other pages are built from.
 */
import type { Summary, TimeSeries } from '../../model/summary.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { escapeMarkup as esc } from '../escape.js';
import { utcTime } from '../format.js';
import { latencySection, timelineSection } from './charts.js';
import { CLIENT_JS } from './client.js';
import { jsonForScript, reportData, type ReportData } from './data.js';
import { htmlPage, loadAssets } from './page.js';
import { explanationSections, resumptionSection } from './extra.js';
import { findingsSection } from './findings.js';
import { messagesSection } from './messages.js';
import {
  checkSections,
  placeSections,
  sectionsCss,
  sectionsData,
  tocHtml,
  type HtmlSection,
  type Part,
} from './section.js';
import {
  configSection,
  deltasSection,
  failuresSection,
  generatorSection,
  securitySection,
  thresholdsSection,
  verdictSection,
} from './sections.js';
import { REPORT_CSS } from './style.js';

export { escapeMarkup } from '../escape.js';
export { PHASE_ORDER } from './charts.js';
export { CHART_KIT_JS } from './client.js';
export { jsonForScript, latencyCurves, percentileGrid, type Curves } from './data.js';
export { htmlPage, loadAssets, REPORT_CSP, type Assets } from './page.js';
export {
  RUN_COLOR,
  type HtmlSection,
  type HtmlSectionPosition,
  type SectionChart,
  type StepsChartData,
} from './section.js';
export { chart, el, figure, table, td, th, thead, tr } from './markup.js';
export { PHASE_LABEL } from './sections.js';
export { REPORT_CSS } from './style.js';

type AnySummary = Summary & { series?: TimeSeries };

export interface HtmlReportOptions {
  baseline?: AnySummary;
  /** sections the caller adds (a capacity search's), each in its place */
  sections?: readonly HtmlSection[];
  /** when the report was made (default: now); shown in the footer */
  generatedAt?: Date;
}

/** The report's own parts, in page order; `slot` marks where extra sections may go. */
function ownParts(s: AnySummary, baseline: AnySummary | undefined, data: ReportData): Part[] {
  return [
    { html: verdictSection(s), toc: [['verdict', 'Verdict']] },
    { html: findingsSection(s), toc: s.findings.length > 0 ? [['findings', 'What limited it']] : [] },
    baseline === undefined
      ? { html: '', toc: [] }
      : { html: deltasSection(s, baseline), toc: [['baseline', 'Baseline']] },
    { html: thresholdsSection(s), toc: [['thresholds', 'Thresholds']], slot: 'thresholds' },
    { html: securitySection(s), toc: s.security.length > 0 ? [['security', 'Security']] : [] },
    { html: explanationSections(s), toc: [] },
    { html: messagesSection(s), toc: Object.keys(s.messages ?? {}).length === 0 ? [] : [['messages', 'Messages']] },
    { html: latencySection(s, data), toc: [['latency', 'Latency']], slot: 'latency' },
    { html: resumptionSection(s), toc: [] },
    { html: timelineSection(data), toc: [['timeline', 'Timeline']], slot: 'timeline' },
    { html: failuresSection(s), toc: [['failures', 'Failures']], slot: 'failures' },
    {
      html: `<div class="two">${configSection(s)}${generatorSection(s)}</div>`,
      toc: [
        ['config', 'Configuration'],
        ['generator', 'Generator'],
      ],
      slot: 'config',
    },
  ];
}

/** The whole report as one HTML document. */
export function renderHtmlReport(summary: AnySummary, options: HtmlReportOptions = {}): string {
  const { uplotJs, uplotCss, version } = loadAssets();
  const { baseline, sections = [] } = options;
  const data = reportData(summary, baseline, sectionsData(sections));
  const own = ownParts(summary, baseline, data);
  checkSections(sections, own);
  const parts = placeSections(own, sections);
  const generated = utcTime((options.generatedAt ?? new Date()).toISOString());
  const r = summary.run;
  const madeBy = `Made by mqtt-herd${version === '' ? '' : ` ${esc(version)}`} on ${esc(generated)}`;
  const against = baseline === undefined ? '' : `, against baseline <code>${esc(baseline.run.id)}</code>`;
  const body = [
    `<header class="top"><h1>mqtt-herd report: ${esc(r.scenario)}</h1><span class="sub">${esc(r.target)} · ${esc(utcTime(r.started))}</span></header>`,
    tocHtml(parts),
    '<noscript><p>The charts need JavaScript; every number is also in the tables.</p></noscript>',
    ...parts.map((p) => p.html),
    `<footer>${madeBy} from run <code>${esc(r.id)}</code>${against}. This file needs no network.</footer>`,
  ]
    .filter((x) => x !== '')
    .join('\n');
  return htmlPage({
    title: `${summary.verdict.toUpperCase()} · ${r.scenario} · mqtt-herd report`,
    version,
    css: `${REPORT_CSS}${sectionsCss(sections)}`,
    body,
    dataJson: jsonForScript(data),
    clientJs: CLIENT_JS,
    uplotCss,
    uplotJs,
  });
}

/**
 * Writes the report of `summary` to `file`, atomically (a temporary file renamed into
 * place); returns its size in bytes.
 */
export async function writeHtmlReport(
  summary: AnySummary,
  file: string,
  options: Omit<HtmlReportOptions, 'generatedAt'> = {},
): Promise<number> {
  const html = renderHtmlReport(summary, options);
  await writeFileAtomic(file, html, { mode: 0o644 });
  return Buffer.byteLength(html);
}
