/**
 * mqtt-herd's public API: the pieces `herd` itself is made of, for scripts and other tools.
 * Everything is a named export; what is not here is internal and may change.
 *
 *   import { runConfigFromArgs, runHerd } from 'mqtt-herd';
 *   const { summary, exitCode } = await runHerd(runConfigFromArgs(['--devices', '500', '--rate', '100/s']));
 */

// ---- running a herd: a config (from herd run's arguments, or built), then the run ----
export { runHerd, type RunHooks, type RunOutcome } from './run/run.js';
export type { RunConfig } from './run/config.js';
export { runConfigFromArgs } from './cli/run-flags.js';
export { loadScenario, parseScenario, type ScenarioSettings } from './scenario/load.js';

// ---- minting: a CA, a server certificate, devices one by one or a million in a store ----
export {
  createCa,
  loadCa,
  issueServer,
  issueDevice,
  mintStore,
  openStore,
  exportDevice,
  writeCrl,
  parseFaults,
  type CaOptions,
  type LoadedCa,
  type ServerOptions,
  type DeviceOptions,
  type MintOptions,
  type MintProgress,
  type MintStats,
  type DeviceStore,
  type DeviceRecord,
  type StoreMeta,
  type ExportOptions,
  type CrlOptions,
  type FaultShares,
  type KeyKind,
  type MintKeyKind,
} from './pki/index.js';

// ---- capacity searches and comparisons ----
export {
  CapacityRun,
  DEFAULT_SLO,
  type CapacityConfig,
  type CapacityHooks,
  type CapacityOutcome,
} from './capacity/run.js';
export {
  compareRuns,
  loadRuns,
  type Comparison,
  type CompareRun,
  type Delta,
  type MetricRow,
} from './compare/compare.js';
export { renderComparison } from './compare/console.js';
export { renderCompareHtml, writeCompareHtml } from './compare/html.js';

// ---- results: merging shards, reading and writing summaries, the console, JUnit and HTML ----
export { mergeSummaries } from './run/merge.js';
export { readSummary, parseSummary, summaryToJson } from './report/json/index.js';
export { writeRunOutputs, type RunOutputOptions } from './report/index.js';
export { renderSummary, progressLine } from './report/console/index.js';
export { renderJUnit } from './report/junit/index.js';
export { renderHtmlReport, writeHtmlReport, type HtmlReportOptions, type HtmlSection } from './report/html/index.js';
export { explainReason } from './report/explain/index.js';

// ---- the embedded broker (herd broker) ----
export { startBroker, type BrokerOptions, type BrokerStats, type RunningBroker } from './broker/index.js';

// ---- writing an executor of one's own ----
export { registerExecutor, executorNames } from './load/registry.js';
export type {
  Executor,
  LoadConfig,
  LoadFlags,
  RunShape,
  ShardShare,
  ConfigProblem,
  Explanation,
} from './load/executor.js';
export type { Schedule, OpenSchedule, ClosedSchedule } from './load/schedule.js';
export type { LoadPolicy, PolicyContext, PolicyOps } from './load/policy.js';

// ---- the vocabulary: summary.json's types, phases, failure reasons, faults, metric names ----
export type * from './model/summary.js';
export type * from './model/capacity.js';
export {
  PHASES,
  FAILURE_PHASES,
  FAILURE_REASONS,
  FAULTS,
  METRIC,
  KEY_TYPES,
  type Phase,
  type FailurePhase,
  type FailureReason,
  type Fault,
  type KeyType,
  type TlsVersion,
} from './model/names.js';

// ---- errors and exit codes ----
export { ExitCode, HerdError, UsageError, InputError, InputErrors, PlanError, isHerdError } from './errors.js';
