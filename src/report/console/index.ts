/**
 * The console output: the final summary on stdout, the baseline changes, and on stderr the
 * live line (run progress, capacity steps, mint progress) that LiveLine keeps to one line.
 */
export { renderSummary, type ConsoleOptions } from './summary.js';
export { progressLine } from './progress.js';
export { renderBaselineChanges } from './baseline.js';
export { LiveLine, type LineStream, type LiveLineOptions } from './live-line.js';
