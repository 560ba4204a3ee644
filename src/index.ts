/** mqtt-herd: the public API. The CLI (`herd`) is a thin user of it. */
export * from './errors.js';
export * from './metrics/names.js';
export type * from './report/summary-types.js';
