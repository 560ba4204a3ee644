import { performance } from 'node:perf_hooks';

/** Epoch milliseconds with sub-millisecond resolution, comparable across worker threads. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** The sampling interval of every event-loop delay monitor. */
export const LAG_RESOLUTION_MS = 10;

/**
 * Event-loop lag in ms from a monitorEventLoopDelay histogram. Its values are the whole
 * interval between samples (resolution + lag), so an idle loop reads ~10 ms: subtract it.
 */
export function lagMs(value: number): number {
  return Math.max(0, value / 1e6 - LAG_RESOLUTION_MS);
}

/** CPU this process has spent (user + system), ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
