/**
 * Stage 6, write: the results leave the process — summary.json, junit.xml and report.html
 * in --out (each atomically), the final metrics to a Pushgateway with --push. A failed push
 * is a warning: the results on disk are what counts.
 */
import type { Summary } from '../model/summary.js';
import { writeRunOutputs } from '../report/index.js';
import { andList } from '../report/format.js';
import type { RunPlan } from './plan.js';
import type { Prepared } from './prepare.js';

export interface WriteHooks {
  info: (line: string) => void;
  warn: (line: string) => void;
}

export async function writeRun(plan: RunPlan, prep: Prepared, summary: Summary, hooks: WriteHooks): Promise<void> {
  const c = plan.config;
  if (c.outDir !== undefined) {
    const baseline = plan.baseline?.summary;
    const files = await writeRunOutputs(c.outDir, summary, baseline === undefined ? {} : { baseline });
    hooks.info(`wrote ${andList(files)} in ${c.outDir}`);
  }
  if (c.push === undefined) return;
  try {
    await prep.exporter?.push(c.push);
    hooks.info(`pushed the final metrics to ${c.push}`);
  } catch (e) {
    hooks.warn(`could not push the metrics to ${c.push}: ${(e as Error).message}`);
  }
}
