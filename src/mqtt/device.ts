/**
 * What a device needs to connect, built once per device (never per attempt): its TLS
 * SecureContext (key, certificate, the CA trusted for the server, TLS versions) and its
 * encoded CONNECT and SUBSCRIBE.
 */
import tls from 'node:tls';
import { encodeDevicePackets, type DevicePackets, type MqttVersion } from './packets.js';

export interface DeviceCredentials {
  id: string;
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
  subscribeQos?: 0 | 1 | undefined;
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

export interface PreparedDevice {
  readonly id: string;
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

export function prepareDevice(creds: DeviceCredentials, run: DriverRunOptions): PreparedDevice {
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
    fault: creds.fault,
    context,
    contextError,
    packets: encodeDevicePackets(creds.id, {
      version: run.mqttVersion,
      keepaliveS: run.keepaliveS,
      subscribe: run.subscribe,
      subscribeQos: run.subscribeQos,
      username: run.username,
    }),
    session: undefined,
  };
}
