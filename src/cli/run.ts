/**
 * `herd run`: progress on stderr, the summary on stdout, summary.json and junit.xml in
 * --out. Ctrl-C stops the schedule, disconnects cleanly and still writes the summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { parseRunArgs, runConfigFromFlags, RUN_HELP } from './run-flags.js';
import { bool } from './args.js';
import { runHerd } from '../engine/run.js';
import type { Engine } from '../engine/coordinator.js';
import { progressLine, renderSummary } from '../report/console.js';
import { renderJUnit } from '../report/junit.js';
import { summaryToJson } from '../report/json.js';

/** Non-TTY progress: one plain line this often. */
const PLAIN_PROGRESS_EVERY_S = 5;

export async function runCommand(argv: string[]): Promise<number> {
  const { parsed, demo } = parseRunArgs(argv);
  if (bool(parsed, 'help')) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`scenario files are not supported by this build yet: "${parsed.positionals[0]}" (use flags, see herd run --help)`);
  }
  const config = runConfigFromFlags(parsed, demo);
  const tty = process.stderr.isTTY === true;
  let engine: Engine | undefined;
  let ticks = 0;
  let drawn = false;
  const onSignal = (): void => {
    if (engine) {
      process.stderr.write('\nherd: stopping (Ctrl-C again to abort) — disconnecting and writing the summary\n');
      engine.interrupt();
      process.once('SIGINT', () => process.exit(130));
    } else {
      process.exit(130);
    }
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (demo) process.stderr.write('herd: demo — 2000 devices with their own certificates against the embedded mTLS broker\n');
  try {
    const { summary, exitCode } = await runHerd(config, {
      onInfo: (l) => {
        if (!config.quiet) process.stderr.write(`herd: ${l}\n`);
      },
      onEngine: (e) => {
        engine = e;
      },
      onProgress: (snap) => {
        if (config.quiet) return;
        ticks++;
        if (tty) {
          process.stderr.write(`\r\x1b[2K${progressLine(snap)}`);
          drawn = true;
        } else if (ticks % PLAIN_PROGRESS_EVERY_S === 0) {
          process.stderr.write(`${progressLine(snap)}\n`);
        }
      },
    });
    if (drawn) process.stderr.write('\n');
    if (config.outDir !== undefined) {
      mkdirSync(config.outDir, { recursive: true });
      writeFileSync(join(config.outDir, 'summary.json'), summaryToJson(summary));
      writeFileSync(join(config.outDir, 'junit.xml'), renderJUnit(summary));
    }
    process.stdout.write(renderSummary(summary, { ascii: !process.stdout.isTTY }));
    if (config.outDir !== undefined && !config.quiet) process.stderr.write(`herd: wrote ${join(config.outDir, 'summary.json')} and junit.xml\n`);
    return exitCode;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
