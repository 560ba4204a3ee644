/**
 * The one-file page every HTML output is (the report and the comparison): its
 * Content-Security-Policy forbidding any request, uPlot inlined from node_modules, the
 * styles, the body, the data element and the page's script.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeMarkup as esc } from '../escape.js';

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
