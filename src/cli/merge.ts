/**
 * `herd merge SHARD.json... --out SUMMARY.json`: shard summaries into the summary of the
 * whole run. Histograms merge exactly, counters add up, thresholds are evaluated again on
 * the merged data and the verdict (and so the exit code) is decided again.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { mergeSummaries } from '../run/merge.js';
import { renderSummary } from '../report/console/index.js';
import { readSummary, writeSummary } from '../report/json/index.js';
import { outputError } from '../report/index.js';
import { assertCounts } from '../judge/invariants.js';
import { exitCodeFor } from '../judge/verdict.js';
import { bool, parse, requireStr } from './args.js';

const MERGE_HELP = `herd merge SHARD.json... --out SUMMARY.json

  Merges the summary.json of every shard of a run (herd run --shard-index I --shard-count N)
  into one summary of the same shape: latency histograms merged exactly (the percentiles
  are those of one run that saw every connection), counts and failures added, time series
  aligned by clock. The thresholds are evaluated again on the merged data, and the exit
  code is the merged verdict's (0 pass, 97 inconclusive, 98 insecure, 99 fail).

  Refused (exit 2, naming the file): a file that is not a summary, a shard given twice,
  shards whose device ranges overlap. Missing shards are said in the verdict reason.

  --out SUMMARY.json        where to write the merged summary
  -q, --quiet               do not print the merged summary
`;

export async function mergeCommand(argv: string[]): Promise<number> {
  const parsed = parse(
    argv,
    { out: { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (bool(parsed, 'help')) {
    process.stdout.write(MERGE_HELP);
    return 0;
  }
  const files = parsed.positionals;
  if (files.length === 0) throw new UsageError('expected shard summaries: herd merge SHARD.json... --out SUMMARY.json');
  const out = requireStr(parsed, 'out');
  const summaries = [];
  for (const f of files) summaries.push(await readSummary(f));
  const merged = mergeSummaries(summaries, files);
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeSummary(out, merged);
  } catch (e) {
    throw outputError(out, e, 'the merged summary');
  }
  assertCounts(merged);
  if (!bool(parsed, 'quiet')) process.stdout.write(renderSummary(merged, { ascii: !process.stdout.isTTY }));
  const n = files.length;
  process.stderr.write(`herd: merged ${n} ${n === 1 ? 'summary' : 'summaries'} into ${out}\n`);
  return exitCodeFor(merged.verdict);
}
