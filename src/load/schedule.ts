/** What an executor gives the coordinator: when each attempt is meant to start. */

export interface OpenSchedule {
  kind: 'open';
  /** attempts in the schedule */
  total: number;
  /** intended start of each attempt, ms from the run's start, non-decreasing */
  offsets(): Iterator<number>;
  /** ms from the start until the last arrival */
  spanMs: number;
}

export interface ClosedSchedule {
  kind: 'closed';
  /** connects kept in flight at once */
  concurrency: number;
  /** stop starting new attempts after this many (undefined: until durationMs) */
  total: number | undefined;
  durationMs: number | undefined;
}

export type Schedule = OpenSchedule | ClosedSchedule;
