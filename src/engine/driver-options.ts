/**
 * What every device of a connection worker shares, from the worker's init: MQTT settings,
 * TLS settings and, when this Node allows it, the thread's shared TLS contexts (one context,
 * each device's certificate and key set on it just before its connect: src/mqtt/contexts.ts).
 */
import { contextOptions, isSecure, SharedContexts, sharedContextsWork, type DriverRunOptions } from '../mqtt/index.js';
import type { WorkerInit } from './protocol.js';

export function driverOptions(init: WorkerInit): DriverRunOptions {
  // mqtt:// and ws:// only: no device needs a TLS context
  const tls = init.targets.some((t) => isSecure(t.transport));
  const options: DriverRunOptions = {
    serverCaPem: init.serverCaPem,
    mqttVersion: init.mqttVersion,
    keepaliveS: init.keepaliveS,
    subscribe: init.subscribe,
    clean: init.clean,
    sessionExpiryS: init.sessionExpiryS,
    minVersion: init.minVersion,
    maxVersion: init.maxVersion,
    groups: init.groups,
    ciphers: init.ciphers,
    tls,
  };
  if (tls && init.tlsContexts === 'shared' && sharedContextsWork())
    options.shared = new SharedContexts(contextOptions(options));
  return options;
}
