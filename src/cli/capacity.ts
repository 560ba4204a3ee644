/**
 * `herd capacity [SCENARIO.yaml] [run's flags] [--max-rate N/s] [--budget 3m]`: find the
 * highest connect rate the broker sustains within the SLOs. Progress on stderr (one line
 * per step), the answer and the step table on stdout, summary.json (with `capacity`),
 * junit.xml and report.html in --out. Exit codes as for a run: 0 found (or "at least",
 * bounded by --max-rate or --budget), 97 the generator saturated first (or Ctrl-C
 * stopped the search), 98 insecure, 99 no rate held the SLOs.
 */
import { UsageError } from '../errors.js';
import { bool, parse, str, type OptionSpec, type Parsed } from './args.js';
import { runConfigFromFlags } from './run-flags.js';
import { RUN_OPTIONS } from './run-options.js';
import { loadScenario } from '../scenario/load.js';
import { parseDurationMs, parsePercentFraction, parseRatePerSecond, formatMs } from '../model/units.js';
import { BREAKPOINT_DEFAULTS, type BreakpointConfig } from '../capacity/search.js';
import { CapacityRun, DEFAULT_SLO, type CapacityConfig } from '../capacity/run.js';
import { messagePlan } from '../capacity/messages.js';
import { DEFAULT_RATE } from '../load/registry.js';
import { LiveLine, progressLine, renderSummary } from '../report/console/index.js';
import { andList } from '../report/format.js';
import { writeRunOutputs } from '../report/index.js';
import { renderCapacity, stepHeader, stepLine } from '../capacity/console.js';
import { capacityReportSections } from '../capacity/html.js';

/** Run flags that mean nothing to a search (it sets the load, the devices and the outputs itself). */
const NOT_FOR_CAPACITY: Record<string, string> = {
  executor: 'a capacity search runs its own steps (connects at a constant arrival rate)',
  connections: 'a capacity search runs its own steps (connects at a constant arrival rate)',
  devices: 'a capacity search sizes each step itself (rate × step length)',
  'metrics-port': 'not available for a capacity search yet',
  linger: 'not available for a capacity search yet',
  push: 'not available for a capacity search yet',
  'shard-index': 'a capacity search runs on one machine',
  'shard-count': 'a capacity search runs on one machine',
  'start-at': 'a capacity search runs on one machine',
  baseline: 'compare capacity searches with herd compare',
  'max-regression': 'compare capacity searches with herd compare',
  'baseline-metrics': 'compare capacity searches with herd compare',
};

/** Flags that a message search sets itself, or that do not fit it. */
const NOT_FOR_MESSAGES: Record<string, string> = {
  hold: 'a message search holds the fleet through each step itself',
  messages: 'a message search sets how many messages each device sends in a step (rate × step length)',
};

/** A message search starts here and steps up to here unless told (messages/s for the fleet). */
const MESSAGE_DEFAULTS = { startRate: 100, maxRate: 100_000 } as const;

const CAPACITY_OPTIONS: OptionSpec = {
  ...RUN_OPTIONS,
  search: { type: 'string' },
  'max-rate': { type: 'string' },
  budget: { type: 'string' },
  precision: { type: 'string' },
};

const CAPACITY_HELP = `herd capacity [SCENARIO.yaml] [run's flags] [--max-rate N/s] [--budget 3m]
herd capacity SCENARIO.yaml --search messages [--devices N] [--rate N/s] [--max-rate N/s]

Finds the highest connect rate the broker sustains within the SLOs: steps of open-loop
load doubling from --rate, then bisection between the last rate that held and the first
that broke, then a longer hold at the rate found to confirm it.

  --search messages   find the highest message rate (messages/s for the whole fleet) instead,
                      at a fixed fleet: the scenario's devices (or --devices) and its one
                      telemetry stream (or --publish-every with --qos, --payload, --topic).
                      Each step connects the fleet anew at the scenario's connect rate
                      (arrival-rate's rate, else ${DEFAULT_RATE}/s), then every device publishes from
                      one instant on, evenly spread, until the fleet sent rate × step length
                      messages; only that traffic is judged. --rate and --max-rate are then
                      messages/s (default ${MESSAGE_DEFAULTS.startRate}/s and ${MESSAGE_DEFAULTS.maxRate}/s); the SLOs default to
                      delivery_duration:p(99) < 500ms and message_loss:rate < 0.001 with a
                      subscribers stream, publish_ack_duration:p(99) < 500ms with QoS 1/2.
                      The stream's every, rate, count and start_delay are the search's;
                      --hold and --messages do not apply.

  --rate N/s          the first step (default ${BREAKPOINT_DEFAULTS.startRate}/s)
  --max-rate N/s      never step above this (default ${BREAKPOINT_DEFAULTS.maxRate}/s)
  --budget 3m         the whole search, wall clock (default ${formatMs(BREAKPOINT_DEFAULTS.budgetMs)})
  --duration 5s       each step's length (default: about 300 attempts, 3s…10s; the confirming hold is twice that)
  --precision 10%     stop bisecting when the knee is known this closely (default ${BREAKPOINT_DEFAULTS.precision * 100}%)
  --hold 0s           keep each connection up this long (default 0s: the connect path alone;
                      the scenario's hold is not used)
  --threshold EXPR    the SLOs each step must hold (default: the scenario's thresholds, else
                      ${Object.entries(DEFAULT_SLO)
                        .map(([m, l]) => l.map((e) => `${m}:${e}`).join(', '))
                        .join(', ')})
  --devices N         a message search's fleet (a connect search sizes its steps itself)
  --target, --pki, --store, --server-ca, --servername, --key, --seed, --in-flight, --mqtt,
  --keepalive, --subscribe, --tls-version, --tls-max-version, --connect-timeout, --workers,
  --source-ips, --out, --quiet: as for herd run. Without --target: the embedded broker.

Exit: 0 found (or "at least" when --max-rate or --budget ended the search), 97 the
generator saturated before the broker broke, or Ctrl-C stopped the search ("at least"),
98 a faulty credential was accepted, 99 no rate held the SLOs.
`;

function flagValue<T>(name: string, text: string | undefined, parseFn: (t: string) => T, dflt: T): T {
  if (text === undefined) return dflt;
  try {
    return parseFn(text);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), `--${name}`);
  }
}

type Mode = 'connects' | 'messages';

function modeOf(text: string | undefined): Mode {
  if (text === undefined || text === 'connects') return 'connects';
  if (text === 'messages') return 'messages';
  throw new UsageError(
    `expected connects (the connect rate, the default) or messages (the message rate), got "${text}"`,
    '--search',
  );
}

/** The search's bounds from the flags: rates in the unit of the search. */
function searchOf(parsed: Parsed, mode: Mode): BreakpointConfig {
  const dflt = mode === 'messages' ? MESSAGE_DEFAULTS : BREAKPOINT_DEFAULTS;
  const rateText = str(parsed, 'rate');
  if (rateText === 'max') throw new UsageError('a capacity search is open loop: give the first step as N/s', '--rate');
  const startRate = flagValue('rate', rateText, parseRatePerSecond, dflt.startRate as number);
  const maxRate = flagValue('max-rate', str(parsed, 'max-rate'), parseRatePerSecond, Math.max(dflt.maxRate, startRate));
  const budgetMs = flagValue(
    'budget',
    str(parsed, 'budget'),
    (t) => parseDurationMs(t),
    BREAKPOINT_DEFAULTS.budgetMs as number,
  );
  const stepMs = flagValue(
    'duration',
    str(parsed, 'duration'),
    (t) => parseDurationMs(t),
    undefined as number | undefined,
  );
  const precision = flagValue(
    'precision',
    str(parsed, 'precision'),
    parsePercentFraction,
    BREAKPOINT_DEFAULTS.precision as number,
  );
  return {
    startRate,
    maxRate,
    minRate: BREAKPOINT_DEFAULTS.minRate,
    factor: BREAKPOINT_DEFAULTS.factor,
    precision,
    stepMs,
    budgetMs,
  };
}

function capacityConfigFromArgs(argv: string[]): { help: true } | { help: false; config: CapacityConfig } {
  const parsed = parse(argv, CAPACITY_OPTIONS, true);
  if (bool(parsed, 'help')) return { help: true };
  const mode = modeOf(str(parsed, 'search'));
  for (const [flag, why] of Object.entries(NOT_FOR_CAPACITY))
    if (parsed.values[flag] !== undefined && !(mode === 'messages' && flag === 'devices'))
      throw new UsageError(why, `--${flag}`);
  if (mode === 'messages')
    for (const [flag, why] of Object.entries(NOT_FOR_MESSAGES))
      if (parsed.values[flag] !== undefined) throw new UsageError(why, `--${flag}`);
  if (parsed.positionals.length > 1)
    throw new UsageError(
      `expected one scenario file, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`,
    );
  const search = searchOf(parsed, mode);
  const holdGiven = str(parsed, 'hold') !== undefined;
  // the search sets the load: keep the run flags from fighting the scenario's executor
  const values = { ...parsed.values };
  for (const k of ['rate', 'duration', 'search']) delete values[k];
  const scenarioFile = parsed.positionals[0];
  const scenario = scenarioFile === undefined ? {} : loadScenario(scenarioFile);
  const run = runConfigFromFlags({ values, positionals: [] }, false, scenario);
  const origin = str(parsed, 'publish-every') === undefined ? scenario.origin : undefined;
  const messages = mode === 'messages' ? messagePlan(run, origin, Object.keys(run.thresholds).length > 0) : undefined;
  return {
    config: {
      run: {
        ...run,
        holdMs: holdGiven ? run.holdMs : 0,
        scenario: scenarioFile === undefined ? 'capacity' : run.scenario,
      },
      search,
      ...(messages === undefined ? {} : { messages }),
    },
    help: false,
  };
}

export async function capacityCommand(argv: string[]): Promise<number> {
  const args = capacityConfigFromArgs(argv);
  if (args.help) {
    process.stdout.write(CAPACITY_HELP);
    return 0;
  }
  const config = args.config;
  const quiet = config.run.quiet;
  // a terminal shows the step under way and its progress in place; a log gets a line per step
  const live = new LiveLine(process.stderr, { plainEveryMs: null });
  const print = (l: string): void => {
    if (!quiet) live.print(l);
  };
  const say = (l: string): void => print(`herd: ${l}`);
  const unit = config.messages === undefined ? 'connects/s' : 'messages/s';
  const per = config.messages === undefined ? '/s' : ' messages/s';
  if (config.messages !== undefined) {
    const m = config.messages;
    say(
      `message search: ${m.devices} devices connect at ${m.connectRate}/s each step, ${m.publishing} of them publish ` +
        `on ${m.stream.name} (QoS ${m.stream.qos}) at the step's rate; ${m.subscribers} subscriber(s)`,
    );
  }
  const search = new CapacityRun(config, {
    onInfo: say,
    onStepStart: (s, i) => {
      if (i === 0) print(`       ${stepHeader(unit)}`);
      if (!quiet) live.update(`step ${i + 1} (${s.kind}) ${s.rate}${per} for ${formatMs(s.durationMs)}…`);
    },
    onStepDone: (s, i) => print(`       ${stepLine(s, i, { ascii: !live.tty })}`),
    onProgress: (snap) => {
      if (!quiet) live.update(`  ${progressLine(snap)}`);
    },
  });
  let interrupts = 0;
  const onSignal = (): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write(
      '\nherd: stopping the search (Ctrl-C again to abort) — finishing the step and writing what was found\n',
    );
    search.interrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { summary, exitCode } = await search.run();
    live.done();
    const ascii = !process.stdout.isTTY;
    process.stdout.write(renderCapacity(summary.capacity!, { ascii }));
    const step = summary.capacity!.steps.find((s) => s.rate === summary.capacity!.max_rate);
    process.stdout.write(
      `\n${step === undefined ? 'the step shown' : `at ${summary.capacity!.max_rate}${per}`}, in detail:\n`,
    );
    process.stdout.write(renderSummary(summary, { ascii }));
    const out = config.run.outDir;
    if (out !== undefined) {
      const written = await writeRunOutputs(out, summary, { sections: capacityReportSections(summary) });
      say(`wrote ${andList(written)} in ${out}`);
    }
    return exitCode;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
