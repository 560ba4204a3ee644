/**
 * The outputs of a run, one folder each: console/ (summary, baseline changes, the live
 * line), json/ (summary.json), junit/ (junit.xml), html/ (report.html). This file writes a
 * run's result files into its --out directory; format.ts formats numbers for all of them.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HerdError } from '../errors.js';
import type { Summary, WithSeries } from '../model/summary.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { renderHtmlReport, type HtmlSection } from './html/index.js';
import { summaryToJson } from './json/index.js';
import { renderJUnit } from './junit/index.js';

export interface RunOutputOptions {
  /** the run the report compares with (--baseline) */
  baseline?: WithSeries<Summary>;
  /** extra sections of report.html (a capacity search's) */
  sections?: readonly HtmlSection[];
}

/** The result files of a run, in the order they are written. */
const RUN_OUTPUTS = ['summary.json', 'junit.xml', 'report.html'] as const;

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
};

/** A file system error writing `file` as the user's problem (exit 2, naming the file); anything else as it is. */
export function outputError(file: string, e: unknown, what = 'the file'): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return e;
  return new HerdError('HERD_OUTPUT', `${file}: cannot write ${what}: ${WHY[code] ?? code}`, undefined, { cause: e });
}

/**
 * Writes summary.json, junit.xml and report.html into `dir` (made when missing), each one
 * atomically: an interrupted write leaves the previous file, never half of one. Returns
 * the names written.
 */
export async function writeRunOutputs(
  dir: string,
  summary: WithSeries<Summary>,
  options: RunOutputOptions = {},
): Promise<string[]> {
  const contents: Record<(typeof RUN_OUTPUTS)[number], () => string> = {
    'summary.json': () => summaryToJson(summary),
    'junit.xml': () => renderJUnit(summary),
    'report.html': () => renderHtmlReport(summary, options),
  };
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw outputError(dir, e, 'the results');
  }
  for (const name of RUN_OUTPUTS) {
    const file = join(dir, name);
    try {
      await writeFileAtomic(file, contents[name](), { mode: 0o644 });
    } catch (e) {
      throw outputError(file, e);
    }
  }
  return [...RUN_OUTPUTS];
}
