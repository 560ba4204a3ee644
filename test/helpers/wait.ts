/**
 * Waiting for something to happen: an event, or a state that has no event of its own (a
 * log file, a counter). The timeout is a safety net with a message saying what never
 * happened, not a measurement; the timers are node:timers', which stay real under
 * vi.useFakeTimers().
 */
import type { EventEmitter } from 'node:events';
import { clearTimeout, setTimeout } from 'node:timers';

/** Generous: a busy two-core machine is slow, not broken. */
export const SAFETY_NET_MS = 30_000;

/** Resolves with the arguments of the next `event`; rejects, naming it, after `timeoutMs`. */
export function nextEvent(emitter: EventEmitter, event: string, timeoutMs = SAFETY_NET_MS): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const onEvent = (...args: unknown[]): void => {
      clearTimeout(t);
      resolve(args);
    };
    const t = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, onEvent);
  });
}

/** Resolves once `cond()` holds, checked every `everyMs`; rejects with `what` after `timeoutMs`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = SAFETY_NET_MS,
  everyMs = 20,
): Promise<void> {
  let waited = 0;
  while (!(await cond())) {
    if (waited >= timeoutMs) throw new Error(`still waiting after ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
    waited += everyMs;
  }
}
