/** One driver attempt as a promise, its outcome as a label tests compare against, and the driver's sockets. */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { vi } from 'vitest';
import {
  attempt,
  prepareDevice,
  type AttemptOptions,
  type AttemptOutcome,
  type PreparedDevice,
  type Target,
} from '../../src/mqtt/index.js';

/** Every phase's timeout, the same generous one (a busy two-core machine is slow, not broken). */
export const ATTEMPT_OPTS: AttemptOptions = {
  timeouts: { tcpMs: 5000, tlsMs: 5000, wsMs: 5000, connackMs: 5000, subscribeMs: 5000 },
};

/** A device of id `id` from PEM files (an openssl-made leaf), trusting `caCrt`, MQTT 3.1.1, keepalive 30 s. */
export function leafDevice(id: string, leaf: { crt: string; key: string }, caCrt: string): PreparedDevice {
  return prepareDevice(
    { id, certPem: readFileSync(leaf.crt), keyPem: readFileSync(leaf.key) },
    { serverCaPem: readFileSync(caCrt), mqttVersion: 4, keepaliveS: 30 },
  );
}

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
