/**
 * What a device needs to connect, built once per device (never per attempt): its TLS
 * SecureContext (key, certificate, the CA trusted for the server, TLS versions) and its
 * encoded CONNECT and SUBSCRIBE.
 */
import tls from 'node:tls';
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
  readonly packets: DevicePackets;
  /** the latest TLS session the server issued (AttemptOptions.captureSession), for resumption */
  session: Buffer | undefined;
}

export function prepareDevice(creds: DeviceCredentials, run: DriverRunOptions, extras?: DeviceExtras): PreparedDevice {
  let context: tls.SecureContext | null = null;
  let contextError: Error | null = null;
  if (run.tls !== false) {
    try {
      context = tls.createSecureContext({
        key: creds.keyPem,
        cert: creds.certPem,
        ca: run.serverCaPem,
        minVersion: run.minVersion,
        maxVersion: run.maxVersion,
        ecdhCurve: run.groups,
        ciphers: run.ciphers,
      });
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
