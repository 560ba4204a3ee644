/** One driver attempt as a promise, its outcome as a label tests compare against, and the driver's sockets. */
import tls from 'node:tls';
import { vi } from 'vitest';
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

/**
 * The TLS sockets the driver opens from now on (it keeps them to itself), for a test that
 * must wait on one of their events. `restore()` stops capturing.
 */
export function captureTlsSockets(): { sockets: tls.TLSSocket[]; restore: () => void } {
  const sockets: tls.TLSSocket[] = [];
  const original = tls.connect.bind(tls) as (o: tls.ConnectionOptions) => tls.TLSSocket;
  const spy = vi.spyOn(tls, 'connect').mockImplementation(((o: tls.ConnectionOptions) => {
    const s = original(o);
    sockets.push(s);
    return s;
  }) as typeof tls.connect);
  return { sockets, restore: () => spy.mockRestore() };
}
