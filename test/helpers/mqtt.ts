/** One driver attempt as a promise, and its outcome as a label tests compare against. */
import {
  attempt,
  type AttemptOptions,
  type AttemptOutcome,
  type PreparedDevice,
  type Target,
} from '../../src/mqtt/index.js';

export function attemptOnce(d: PreparedDevice, t: Target, opts: AttemptOptions): Promise<AttemptOutcome> {
  return new Promise((resolve) => attempt(d, t, opts, resolve));
}

/** 'connected' (and the connection closed), or 'phase/reason'. */
export function outcomeLabel(o: AttemptOutcome): string {
  if (o.ok) {
    o.held.destroy();
    return 'connected';
  }
  return `${o.phase}/${o.reason}`;
}
