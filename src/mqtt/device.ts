/**
 * What a device needs to connect, built once per device (never per attempt): its TLS
 * SecureContext (key, certificate, the CA trusted for the server, TLS versions) and its
 * encoded CONNECT and SUBSCRIBE.
 */
import tls from 'node:tls';
import type { SharedContexts } from './contexts.js';
import { encodeDevicePackets, type DevicePackets, type MqttVersion } from './packets.js';

export interface DeviceCredentials {
  id: string;
  /** the device's index in the run (what its messages carry); default -1 */
  index?: number | undefined;
  /** PEM; absent: the device presents no client certificate */
  certPem?: string | Buffer | undefined;
  keyPem?: string | Buffer | undefined;
  /** the credential fault the device was given, if any (informational for the driver) */
  fault?: string | undefined;
}

/** Per run, shared by every device (build it once). */
export interface DriverRunOptions {
  /** CA(s) trusted for the server certificate, PEM; undefined: Node's default roots */
  serverCaPem?: string | Buffer | undefined;
  mqttVersion: MqttVersion;
  keepaliveS: number;
  /** topic template with {id}; undefined: no SUBSCRIBE */
  subscribe?: string | undefined;
  subscribeQos?: 0 | 1 | 2 | undefined;
  /** clean start (default true); false keeps the session */
  clean?: boolean | undefined;
  /** MQTT 5 Session Expiry Interval with clean false, seconds */
  sessionExpiryS?: number | undefined;
  /** username template with {id}; undefined: none */
  username?: string | undefined;
  minVersion?: tls.SecureVersion | undefined;
  maxVersion?: tls.SecureVersion | undefined;
  /** key exchange groups in order of preference, e.g. X25519:P-256 (Node's ecdhCurve) */
  groups?: string | undefined;
  /** OpenSSL cipher list (TLS 1.2) and/or TLS 1.3 suites (TLS_AES_128_GCM_SHA256:...) */
  ciphers?: string | undefined;
  /** false: no target uses TLS (mqtt://, ws:// only): no TLS context is built */
  tls?: boolean | undefined;
  /**
   * The thread's shared contexts (contexts.ts), when connections copy their context's
   * certificate: devices then keep only their PEM, applied just before each connect.
   */
  shared?: SharedContexts | undefined;
}

/** What one device does besides the run's own subscription. */
export interface DeviceExtras {
  /** more filters in its SUBSCRIBE, filled for this device (a command topic) */
  subscriptions?: readonly { topic: string; qos: 0 | 1 | 2 }[] | undefined;
}

export interface PreparedDevice {
  readonly id: string;
  readonly index: number;
  readonly fault: string | undefined;
  /**
   * null when the credentials could not be loaded (`contextError`): every TLS attempt fails
   * with tls_local_config; null without an error when the run uses no TLS
   */
  readonly context: tls.SecureContext | null;
  readonly contextError: Error | null;
  /** with shared contexts: the contexts, and the PEM they are given for this device's connects */
  readonly shared: SharedContexts | undefined;
  readonly certPem: string | Buffer | undefined;
  readonly keyPem: string | Buffer | undefined;
  readonly packets: DevicePackets;
  /** the latest TLS session the server issued (AttemptOptions.captureSession), for resumption */
  session: Buffer | undefined;
}

export function prepareDevice(creds: DeviceCredentials, run: DriverRunOptions, extras?: DeviceExtras): PreparedDevice {
  let context: tls.SecureContext | null = null;
  let contextError: Error | null = null;
  const shared = run.tls !== false ? run.shared : undefined;
  if (run.tls !== false && shared === undefined) {
    try {
      context = tls.createSecureContext({ ...contextOptions(run), key: creds.keyPem, cert: creds.certPem });
    } catch (e) {
      contextError = e instanceof Error ? e : new Error(String(e));
    }
  }
  return {
    id: creds.id,
    index: creds.index ?? -1,
    fault: creds.fault,
    context,
    contextError,
    shared,
    certPem: shared === undefined ? undefined : creds.certPem,
    keyPem: shared === undefined ? undefined : creds.keyPem,
    packets: encodeDevicePackets(creds.id, {
      version: run.mqttVersion,
      keepaliveS: run.keepaliveS,
      subscribe: run.subscribe,
      subscribeQos: run.subscribeQos,
      extraSubscriptions: extras?.subscriptions,
      username: run.username,
      clean: run.clean,
      sessionExpiryS: run.clean === false ? run.sessionExpiryS : undefined,
    }),
    session: undefined,
  };
}

/** What every device's TLS context holds, its own or the shared one: all but its certificate and key. */
export function contextOptions(run: DriverRunOptions): tls.SecureContextOptions {
  return {
    ca: run.serverCaPem,
    minVersion: run.minVersion,
    maxVersion: run.maxVersion,
    ecdhCurve: run.groups,
    ciphers: run.ciphers,
  };
}

/**
 * The context a TLS connect of this device uses, now: its own, or the shared one holding its
 * certificate and key (valid until the next call: hand it straight to tls.connect). Throws
 * when its credentials cannot be loaded.
 */
export function contextFor(d: PreparedDevice): tls.SecureContext {
  if (d.shared !== undefined) {
    try {
      return d.shared.forConnect(d.certPem, d.keyPem);
    } catch (e) {
      throw new CredentialsError(e instanceof Error ? e.message : String(e), { cause: e });
    }
  }
  if (d.context === null) throw new CredentialsError(d.contextError?.message ?? 'no TLS context');
  return d.context;
}

/** A device's certificate or key could not be loaded (the attempt fails with tls_local_config). */
export class CredentialsError extends Error {}
