/** mqtt-herd: the public API. The CLI (`herd`) is a thin user of it. */
export * from './errors.js';
export * from './metrics/names.js';
export type * from './report/summary-types.js';
export * from './metrics/units.js';
export * from './metrics/hdr.js';
export { Recorder, deltaTransferList, type RecorderDelta, type FaultDelta } from './metrics/recorder.js';
export {
  Aggregator,
  type AggregateSnapshot,
  type AggregatorOptions,
  type Counts,
  type SecurityOutcome,
} from './metrics/aggregate.js';
export {
  SeriesBuilder,
  mergeSeries,
  DEFAULT_MAX_POINTS,
  type SeriesPoint,
  type TimeSeries,
  type SeriesCounts,
  type WithSeries,
} from './metrics/series.js';
export { mergeSummaries } from './metrics/merge.js';
export * from './metrics/thresholds.js';
export * from './report/verdict.js';
export * from './report/console.js';
export * from './report/junit.js';
export * from './report/json.js';
export * from './pki/index.js';
export * from './mqtt/index.js';
export * from './broker/index.js';
export * from './report/baseline.js';
export { renderHtmlReport, writeHtmlReport } from './report/html.js';
export { explainReason } from './report/explain.js';
export { runHerd, type RunHooks, type RunOutcome } from './engine/run.js';
export type { RunConfig, LoadConfig, StormConfig, KeyType, TlsVersion } from './engine/config.js';
export { loadScenario, parseScenario, type ScenarioSettings } from './scenario/load.js';
export {
  CapacityRun,
  DEFAULT_SLO,
  type CapacityConfig,
  type CapacityHooks,
  type CapacityOutcome,
} from './engine/capacity.js';
export type * from './report/capacity-types.js';
export * from './report/compare.js';
export { renderCompareHtml, writeCompareHtml } from './report/compare-html.js';
export { renderComparison } from './report/compare-console.js';
