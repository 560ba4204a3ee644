/**
 * Stage 6, write: the results leave the process — summary.json, junit.xml and report.html
 * in --out, the final metrics to a Pushgateway with --push. A failed push is a warning: the
 * results on disk are what counts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../model/summary.js';
import { summaryToJson } from '../report/json/index.js';
import { renderJUnit } from '../report/junit/index.js';
import { writeHtmlReport } from '../report/html/index.js';
import type { RunPlan } from './plan.js';
import type { Prepared } from './prepare.js';

export interface WriteHooks {
  info: (line: string) => void;
  warn: (line: string) => void;
}

/** Writes the run's result files to `dir`; returns their names. */
export async function writeOutputs(dir: string, summary: Summary, baseline: Summary | undefined): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), summaryToJson(summary));
  writeFileSync(join(dir, 'junit.xml'), renderJUnit(summary));
  await writeHtmlReport(summary, join(dir, 'report.html'), baseline);
  return ['summary.json', 'junit.xml', 'report.html'];
}

export async function writeRun(plan: RunPlan, prep: Prepared, summary: Summary, hooks: WriteHooks): Promise<void> {
  const c = plan.config;
  if (c.outDir !== undefined) {
    const files = await writeOutputs(c.outDir, summary, plan.baseline?.summary);
    hooks.info(`wrote ${files.slice(0, -1).join(', ')} and ${files.at(-1)!} in ${c.outDir}`);
  }
  if (c.push === undefined) return;
  try {
    await prep.exporter?.push(c.push);
    hooks.info(`pushed the final metrics to ${c.push}`);
  } catch (e) {
    hooks.warn(`could not push the metrics to ${c.push}: ${(e as Error).message}`);
  }
}
