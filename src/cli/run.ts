/**
 * `herd run`: progress on stderr, the summary on stdout, summary.json and junit.xml in
 * --out. Ctrl-C stops the schedule, disconnects cleanly and still writes the summary.
 */
import { parseRunArgs, runConfigFromArgs } from './run-flags.js';
import { RUN_HELP } from './run-options.js';
import { bool } from './args.js';
import { runHerd } from '../run/run.js';
import type { Engine } from '../engine/coordinator.js';
import { LiveLine, progressLine, renderBaselineChanges, renderSummary } from '../report/console/index.js';

/** Non-TTY progress: one plain line this often. */
const PLAIN_PROGRESS_EVERY_MS = 5000;

export async function runCommand(argv: string[]): Promise<number> {
  const { parsed, demo } = parseRunArgs(argv);
  if (bool(parsed, 'help')) {
    process.stdout.write(RUN_HELP());
    return 0;
  }
  const config = runConfigFromArgs(argv);
  const live = new LiveLine(process.stderr, { plainEveryMs: PLAIN_PROGRESS_EVERY_MS });
  let engine: Engine | undefined;
  let endLinger: (() => void) | undefined;
  const abort = (): never => process.exit(130);
  const onSignal = (): void => {
    if (endLinger) {
      endLinger();
    } else if (engine) {
      process.stderr.write('\nherd: stopping (Ctrl-C again to abort) — disconnecting and writing the summary\n');
      engine.interrupt();
      process.once('SIGINT', abort);
    } else {
      process.exit(130);
    }
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (demo)
    process.stderr.write('herd: demo — 2000 devices with their own certificates against the embedded mTLS broker\n');
  try {
    const { summary, exitCode, exporter, baseline } = await runHerd(config, {
      onInfo: (l) => {
        if (!config.quiet) live.print(`herd: ${l}`);
      },
      onWarning: (l) => live.print(`herd: warning: ${l}`),
      onEngine: (e) => {
        engine = e;
      },
      onProgress: (snap) => {
        if (!config.quiet) live.update(progressLine(snap));
      },
    });
    live.done();
    process.stdout.write(renderSummary(summary, { ascii: !process.stdout.isTTY }));
    if (baseline !== undefined) process.stdout.write(renderBaselineChanges(baseline.rows, summary));
    if (exporter !== undefined) {
      // --linger: keep serving the final values so the last scrape sees them (Ctrl-C ends it).
      if (config.lingerMs > 0) {
        if (!config.quiet)
          process.stderr.write(
            `herd: serving the final metrics on ${exporter.url} for ${config.lingerMs / 1000}s (Ctrl-C to stop)\n`,
          );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, config.lingerMs);
          endLinger = () => {
            clearTimeout(t);
            resolve();
          };
          // even after a Ctrl-C that stopped the run, the next one ends the linger, gracefully
          process.removeListener('SIGINT', abort);
          for (const sig of ['SIGINT', 'SIGTERM'] as const) process.removeListener(sig, onSignal).once(sig, onSignal);
        });
      }
      await exporter.close();
    }
    return exitCode;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
