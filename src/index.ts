/** mqtt-herd: the public API. The CLI (`herd`) is a thin user of it. */
export * from './errors.js';
export * from './model/names.js';
export type * from './model/summary.js';
export * from './model/units.js';
export * from './metrics/hdr.js';
export { Recorder, deltaTransferList, type RecorderDelta, type FaultDelta } from './metrics/recorder.js';
export {
  Aggregator,
  type AggregateSnapshot,
  type AggregatorOptions,
  type Counts,
  type SecurityOutcome,
} from './metrics/aggregate.js';
export { SeriesBuilder, mergeSeries, DEFAULT_MAX_POINTS, type SeriesCounts } from './metrics/series.js';
export { mergeSummaries } from './run/merge.js';
export * from './judge/thresholds.js';
export * from './judge/verdict.js';
export * from './report/console/index.js';
export * from './report/junit/index.js';
export * from './report/json/index.js';
export * from './pki/index.js';
export * from './mqtt/index.js';
export * from './broker/index.js';
export * from './judge/baseline.js';
export {
  renderHtmlReport,
  writeHtmlReport,
  escapeMarkup,
  type HtmlReportOptions,
  type HtmlSection,
  type HtmlSectionPosition,
  type SectionChart,
  type StepsChartData,
} from './report/html/index.js';
export { writeRunOutputs, RUN_OUTPUTS, type RunOutputOptions } from './report/index.js';
export { explainReason } from './report/explain/index.js';
export { writeFileAtomic, type AtomicWriteOptions } from './util/atomic-file.js';
export { runHerd, type RunHooks, type RunOutcome } from './run/run.js';
export type { RunConfig } from './run/config.js';
export type { LoadConfig } from './load/executor.js';
export type { KeyType, TlsVersion } from './model/names.js';
export { loadScenario, parseScenario, type ScenarioSettings } from './scenario/load.js';
export {
  CapacityRun,
  DEFAULT_SLO,
  type CapacityConfig,
  type CapacityHooks,
  type CapacityOutcome,
} from './capacity/run.js';
export type * from './model/capacity.js';
export { capacityHtmlSection, capacityReportSections } from './capacity/html.js';
export * from './compare/compare.js';
export { renderCompareHtml, writeCompareHtml } from './compare/html.js';
export { renderComparison } from './compare/console.js';
