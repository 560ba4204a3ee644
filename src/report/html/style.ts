/** The report's stylesheet: a laptop screen first, and a print layout (A4 or Letter, portrait). */

const MONOSPACE = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';

export const REPORT_CSS = `
:root {
  --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #ffffff; --panel: #f9fafb;
  --ok: #15803d; --no: #b91c1c; --warn: #b45309; --run: #2563eb; --base: #9ca3af;
  --pass-bg: #ecfdf5; --pass-fg: #065f46; --pass-line: #10b981;
  --fail-bg: #fef2f2; --fail-fg: #991b1b; --fail-line: #ef4444;
  --inconclusive-bg: #fffbeb; --inconclusive-fg: #92400e; --inconclusive-line: #f59e0b;
  --insecure-bg: #3f0d12; --insecure-fg: #fff1f2; --insecure-line: #e11d48;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 0 24px 48px; }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; padding: 20px 0 12px; border-bottom: 1px solid var(--line); }
header.top h1 { font-size: 20px; margin: 0; font-weight: 650; }
header.top .sub { color: var(--muted); font-size: 14px; }
nav.toc { position: sticky; top: 0; z-index: 5; background: rgba(255,255,255,.94); border-bottom: 1px solid var(--line);
  display: flex; flex-wrap: wrap; gap: 2px 14px; padding: 6px 0; font-size: 13px; }
nav.toc a { color: var(--muted); text-decoration: none; }
nav.toc a:hover { color: var(--run); }
h2 { font-size: 17px; margin: 30px 0 10px; font-weight: 650; }
h2 .count { font-weight: 400; color: var(--muted); font-size: 14px; margin-left: 8px; }
h3 { font-size: 14px; margin: 0 0 4px; font-weight: 600; }
code { font: 12.5px/1.4 ${MONOSPACE}; background: var(--panel); padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.ok { color: var(--ok); font-weight: 700; }
.no { color: var(--no); font-weight: 700; }
.better { color: var(--ok); font-weight: 600; }
.worse { color: var(--no); font-weight: 600; }

.verdict { margin: 18px 0 8px; padding: 18px 22px; border-radius: 10px; border-left: 8px solid; }
.verdict-pass { background: var(--pass-bg); color: var(--pass-fg); border-color: var(--pass-line); }
.verdict-fail { background: var(--fail-bg); color: var(--fail-fg); border-color: var(--fail-line); }
.verdict-inconclusive { background: var(--inconclusive-bg); color: var(--inconclusive-fg); border-color: var(--inconclusive-line); }
.verdict-insecure { background: var(--insecure-bg); color: var(--insecure-fg); border-color: var(--insecure-line); }
.verdict-head { display: flex; align-items: center; gap: 12px; }
.verdict-icon { font-size: 30px; font-weight: 700; line-height: 1; }
.verdict-word { font-size: 30px; font-weight: 800; letter-spacing: .04em; line-height: 1.1; }
.verdict-why { font-size: 17px; margin: 8px 0 2px; font-weight: 550; }
.verdict-meaning { margin: 0 0 12px; opacity: .85; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 10px; }
.tile { background: rgba(255,255,255,.7); border-radius: 8px; padding: 8px 12px; color: var(--fg); }
.verdict-insecure .tile { background: rgba(255,255,255,.93); }
.tile-label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.tile-value { font-size: 21px; font-weight: 700; font-variant-numeric: tabular-nums; white-space: nowrap; }
.tile-note { font-size: 12px; color: var(--muted); }

table.grid { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
table.grid th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em;
  border-bottom: 2px solid var(--line); padding: 6px 10px; }
table.grid td { border-bottom: 1px solid var(--line); padding: 7px 10px; vertical-align: top; }
table.grid .n { text-align: right; white-space: nowrap; }
table.grid .c { text-align: center; width: 3em; }
tr.row-no td { background: #fef2f2; }
td.explain { max-width: 640px; }
table.failures td:nth-child(3) code { white-space: nowrap; }
td.explain .fix { margin-top: 4px; }
td.explain .fix span { font-weight: 600; color: var(--ok); }
tr.delta-better td.delta { color: var(--ok); font-weight: 700; }
tr.delta-worse td.delta { color: var(--no); font-weight: 700; }
tr.delta-same td.delta { color: var(--muted); }
.finding { border-left: 4px solid var(--line); padding: 4px 0 6px 14px; margin: 0 0 14px; }
.finding-error { border-color: var(--no); }
.finding-warning { border-color: var(--warn); }
.finding-info { border-color: var(--run); }
.finding p { margin: 0 0 6px; max-width: 900px; }
.sev { font-weight: 700; text-transform: uppercase; font-size: 12px; letter-spacing: .04em; }
.sev-error { color: var(--no); }
.sev-warning { color: var(--warn); }
.sev-info { color: var(--run); }
table.evidence { width: auto; min-width: 320px; font-size: 13px; }
table.evidence td { padding: 3px 10px; }

.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 18px 24px; }
.charts figure { margin: 0; min-width: 0; }
.charts figure.wide { grid-column: 1 / -1; }
figcaption { font-size: 13px; color: var(--muted); margin: 2px 0 6px; }
.chart { min-height: 250px; }
.chart-empty { display: flex; align-items: center; justify-content: center; min-height: 120px; color: var(--muted);
  background: var(--panel); border-radius: 8px; font-size: 14px; }
.uplot { font-family: inherit; }
.uplot .u-legend { font-size: 12.5px; }
.uplot .u-legend .u-marker { width: 1.4em; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 0 32px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; font-size: 14px; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
footer { margin-top: 36px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
noscript p { background: var(--panel); padding: 10px; border-radius: 6px; }

@media (max-width: 760px) {
  main { padding: 0 12px 32px; }
  .charts, .two { grid-template-columns: 1fr; }
}
@media print {
  @page { size: auto; margin: 12mm; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  .verdict, .tile, tr.row-no td, .finding { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section, figure, tr, .tiles { break-inside: avoid; }
  h2 { break-after: avoid; }
  .charts { grid-template-columns: 1fr 1fr; gap: 10px 16px; }
  .chart { min-height: 0; }
  .two { grid-template-columns: 1fr 1fr; }
  a { color: inherit; text-decoration: none; }
}
`;
