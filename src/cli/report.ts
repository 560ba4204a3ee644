/** `herd report SUMMARY.json --html FILE [--baseline SUMMARY.json]`: the self-contained HTML report. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { capacityReportSections } from '../capacity/html.js';
import { bytes } from '../report/format.js';
import { writeHtmlReport } from '../report/html/index.js';
import { readSummary } from '../report/json/index.js';
import { outputError } from '../report/index.js';
import { bool, parse, requireStr, str } from './args.js';

const REPORT_HELP = `herd report SUMMARY.json --html FILE [--baseline SUMMARY.json]

  Renders a run's summary.json as one self-contained HTML file (no network needed to
  open it): verdict, thresholds, latency percentile curves, timelines, failures explained,
  configuration and generator health.

  --html FILE               where to write the report
  --baseline SUMMARY.json   an earlier run to compare with: curves overlaid and the deltas
`;

export async function reportCommand(argv: string[]): Promise<number> {
  const parsed = parse(
    argv,
    { html: { type: 'string' }, baseline: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (bool(parsed, 'help')) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  const [input, ...extra] = parsed.positionals;
  if (input === undefined) throw new UsageError('expected a summary file: herd report SUMMARY.json --html FILE');
  if (extra.length > 0)
    throw new UsageError(`expected one summary file, got ${parsed.positionals.length} (compare runs with --baseline)`);
  const out = requireStr(parsed, 'html');
  const baselineFile = str(parsed, 'baseline');
  const summary = await readSummary(input);
  const baseline = baselineFile === undefined ? undefined : await readSummary(baselineFile);
  let size: number;
  try {
    await mkdir(dirname(out), { recursive: true });
    size = await writeHtmlReport(summary, out, { baseline, sections: capacityReportSections(summary) });
  } catch (e) {
    throw outputError(out, e, 'the report');
  }
  process.stderr.write(`herd: wrote ${out} (${bytes(size)})\n`);
  return 0;
}
