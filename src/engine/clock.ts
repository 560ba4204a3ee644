import { performance } from 'node:perf_hooks';

/** Epoch milliseconds with sub-millisecond resolution, comparable across worker threads. */
export const epochNow = (): number => performance.timeOrigin + performance.now();
