#!/usr/bin/env node
/** src/cli: the `herd` command and its subcommands, thin users of the library. This file maps errors to exit codes. */
import { ExitCode, isHerdError } from '../errors.js';

const USAGE = `herd — MQTT mTLS connection load simulator

Usage:
  herd pki ca|server|device|mint|export|crl ...   certificates for a CA, a broker and devices
  herd run [SCENARIO.yaml] [flags]                run a load (no arguments: the demo)
  herd broker [--port P] [--tcp-port P] [--ws-port P] [--pki DIR]   the embedded broker, standalone
  herd validate SCENARIO.yaml                     check a scenario without running it
  herd merge SHARD.json... --out SUMMARY.json     merge shard summaries exactly
  herd report SUMMARY.json --html FILE            render a summary as HTML
  herd compare SUMMARY.json SUMMARY.json...       compare runs
  herd capacity [SCENARIO.yaml] [flags]           find the knee

Run "herd <command> --help" for a command's flags.
Exit codes: 0 ok, 1 internal error, 2 bad input, 97 inconclusive, 98 insecure, 99 threshold failed.
`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  pki: async () => (await import('./pki.js')).pkiCommand,
  run: async () => (await import('./run.js')).runCommand,
  broker: async () => (await import('./broker.js')).brokerCommand,
  report: async () => (await import('./report.js')).reportCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  capacity: async () => (await import('./capacity.js')).capacityCommand,
  compare: async () => (await import('./compare.js')).compareCommand,
  merge: async () => (await import('./merge.js')).mergeCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === undefined) {
      // `herd` with no arguments at all: print usage. (`herd run` with none is the demo.)
      process.stdout.write(USAGE);
      return ExitCode.ok;
    }
    process.stdout.write(USAGE);
    return ExitCode.ok;
  }
  if (name === '--version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return ExitCode.ok;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`herd: unknown command "${name}"\n\n${USAGE}`);
    return ExitCode.usage;
  }
  if (name === 'run' || name === 'capacity') {
    // before the command's modules load: under a tiny open-files limit the module loader
    // itself would hit EMFILE, and the user would get a stack instead of the fix
    const { checkFileLimit, hostLimits } = await import('../engine/limits.js');
    checkFileLimit(hostLimits());
  }
  const cmd = await load();
  return cmd(rest);
}

function report(e: unknown): number {
  if (isHerdError(e)) {
    process.stderr.write(`herd: ${e.message}\n`);
    return e.exitCode;
  }
  process.stderr.write(
    `herd: internal error (a bug, please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  return ExitCode.internal;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = report(e);
  },
);
