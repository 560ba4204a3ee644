/**
 * `herd compare SUMMARY.json SUMMARY.json... [--html FILE] [--labels A,B,...]`: runs side by
 * side against the first, with whether each difference is beyond noise. Repeats of one
 * configuration are one argument joined by commas (a1.json,a2.json). The comparison on
 * stdout; --html writes one self-contained page with the curves overlaid.
 */
import { UsageError } from '../errors.js';
import { bool, list, parse, str } from './args.js';
import { compareRuns, loadRuns } from '../compare/compare.js';
import { renderComparison } from '../compare/console.js';
import { writeCompareHtml } from '../compare/html.js';

const COMPARE_HELP = `herd compare SUMMARY.json SUMMARY.json... [--html FILE] [--labels A,B,...]

Compares runs (summary.json files, or the --out directories holding them) with the first:
per-phase latency percentiles, failure rate and capacity knees, each change with a 95%
interval and whether it is beyond noise. Noise is a bootstrap over each run's HDR data;
give repeats of a configuration as one argument joined by commas (a1.json,a2.json,a3.json)
to count run-to-run noise too.

  --html FILE        write one self-contained HTML page: curves overlaid, the table, the knees
  --labels A,B,...   names for the runs (default: the settings that differ, else the file names)
`;

export async function compareCommand(argv: string[]): Promise<number> {
  const p = parse(
    argv,
    { html: { type: 'string' }, labels: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (bool(p, 'help')) {
    process.stdout.write(COMPARE_HELP);
    return 0;
  }
  if (p.positionals.length < 2)
    throw new UsageError(`give at least two summaries to compare, got ${p.positionals.length}`);
  const runs = await loadRuns(p.positionals, list(p, 'labels'));
  const comparison = compareRuns(runs);
  process.stdout.write(renderComparison(comparison, { ascii: !process.stdout.isTTY }));
  const html = str(p, 'html');
  if (html !== undefined) {
    const bytes = await writeCompareHtml(comparison, html);
    process.stderr.write(`herd: wrote ${html} (${(bytes / 1024).toFixed(1)} KiB)\n`);
  }
  return 0;
}
