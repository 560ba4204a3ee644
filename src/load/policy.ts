/**
 * What an executor may apply while a run goes on, beyond its schedule: the coordinator
 * feeds it what the workers report about single devices and asks it for extra attempts
 * and whether the run is over. It owns no socket and no timer.
 */
import type { Summary } from '../model/summary.js';

/** What the run gives a policy to act on the world with. */
export interface PolicyContext {
  /** restarts the broker this run started (the embedded one); undefined for an external broker */
  restartBroker: ((downMs: number) => Promise<void>) | undefined;
  /** uniform in [0, 1) (tests give a seeded one) */
  random?: () => number;
}

/** What the coordinator does for a policy when asked. */
export interface PolicyOps {
  /** cut every held connection at once, without DISCONNECT (a network outage) */
  cutAll(): void;
  /** the policy's own work failed (a broker restart): the run ends with this error */
  fail(e: Error): void;
}

/**
 * After the schedule is done, whether the run goes on: `wait` keeps it going, `stop` ends
 * it now, `quiet` ends it once nothing is queued, in flight or held (the default).
 */
export type Advance = 'wait' | 'stop' | 'quiet';

export interface LoadPolicy {
  /** a device's attempt succeeded, at `at` (epoch ms) */
  onConnected?(device: number, at: number): void;
  /** a device's attempt failed */
  onFailed?(device: number, at: number): void;
  /** a device's held connection dropped */
  onDropped?(device: number, at: number): void;
  /** the attempts this policy adds that are due by `horizon` (epoch ms), each with its intended start */
  take(horizon: number, out: (device: number, at: number) => void): void;
  /** once the schedule is done: `settled` when every arrival handed out was received and none is queued or in flight */
  advance(now: number, settled: boolean, ops: PolicyOps): Advance;
  /** what the policy adds to the summary */
  result?(): Partial<Pick<Summary, 'recovery'>>;
}
