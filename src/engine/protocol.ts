/**
 * Messages between the coordinator and its connection workers. The coordinator decides
 * who connects when; workers own the sockets and report compact deltas.
 */
import type { RecorderDelta } from '../metrics/recorder.js';
import type { Transport } from '../model/names.js';
import type { TlsContexts } from '../model/summary.js';
import type { StreamConfig } from '../traffic/stream.js';

export interface TargetSpec {
  host: string;
  port: number;
  /** how devices reach it (mqtt:// tcp, mqtts:// tls, ws://, wss://) */
  transport: Transport;
  /** ws and wss: the upgrade path */
  path: string | undefined;
  /** the host name the address was resolved from: the TLS server name unless --servername says otherwise */
  servername?: string | undefined;
}

export interface WorkerInit {
  workerId: number;
  workers: number;
  storePath: string;
  /** devices this worker owns: k < deviceCount with k % workers === workerId (store index deviceStart + k) */
  deviceCount: number;
  deviceStart: number;
  targets: TargetSpec[];
  /** PEM of the CA(s) trusted for the server certificate */
  serverCaPem: string;
  servername: string | undefined;
  minVersion: 'TLSv1.2' | 'TLSv1.3' | undefined;
  maxVersion: 'TLSv1.2' | 'TLSv1.3' | undefined;
  /** ALPN protocols offered (tls and wss targets) */
  alpn: string[] | undefined;
  /** key exchange groups (ecdhCurve) and cipher suites of every device's TLS context */
  groups: string | undefined;
  ciphers: string | undefined;
  mqttVersion: 4 | 5;
  keepaliveS: number;
  /** topic template with {id}; undefined: no subscription */
  subscribe: string | undefined;
  /** clean start (false: persistent sessions) and, MQTT 5 with clean false, the session expiry (s) */
  clean: boolean;
  sessionExpiryS: number;
  /** what connected devices do (telemetry published, commands answered); empty: nothing */
  traffic: StreamConfig[];
  /** the run's seed (schedules are drawn from it) and this shard's index (topic {shard}) */
  seed: string | undefined;
  shard: number;
  timeouts: { tcpMs: number; tlsMs: number; wsMs: number; connackMs: number; subscribeMs: number };
  /** this worker's share of --in-flight (in the plan: the whole cap) */
  inFlightCap: number;
  /** ms a connection is held after CONNACK; Infinity: until told to stop */
  holdMs: number;
  sourceIps: string[];
  /** how often to report, ms */
  reportMs: number;
  /** share of reconnects that offer the device's last TLS session (resumption) */
  resumeRatio: number;
  /** shared: one TLS context per worker, each device's certificate set on it per connect */
  tlsContexts: TlsContexts;
  /** devices connect more than once (closed loop, constant connections, storms): keep their contexts */
  reuseDevices: boolean;
  /** report which devices failed and when each connected (an executor's policy needs it) */
  reportOutcomes: boolean;
}

export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  /** attempts to start: device store indices and intended start times (epoch ms) */
  | { type: 'arrivals'; devices: Int32Array; intended: Float64Array }
  /** closed loop: keep `concurrency` attempts in flight over own devices until told to stop */
  | { type: 'closed'; concurrency: number; maxAttempts: number | undefined; cycle: boolean }
  /** cut every held connection at once, no DISCONNECT (a network outage); report them dropped */
  | { type: 'drop' }
  /** stop starting; disconnect everything held (graceful: DISCONNECT, else destroy) */
  | { type: 'stop'; graceful: boolean };

/** Devices and when something happened to each (epoch ms). */
export interface TimedDevices {
  devices: Int32Array;
  at: Float64Array;
}

export type FromWorker =
  | {
      type: 'ready';
      workerId: number;
      devices: number;
      prepMs: number;
      /** the worker's process before its first connect: pid, CPU used since it started (ms), resident memory */
      pid: number;
      processCpuMs: number;
      rssBytes: number;
    }
  | {
      type: 'report';
      workerId: number;
      delta: RecorderDelta;
      /** devices whose held connection dropped, whose attempt failed (only with reportOutcomes), and that connected (likewise), each with its time */
      dropped: TimedDevices;
      failed: TimedDevices;
      connected: TimedDevices;
      /** arrivals received so far (cumulative) */
      received: number;
      inFlight: number;
      queued: number;
      /** closed loop: no more attempts will start by themselves */
      idle: boolean;
      held: number;
      /** event-loop delay since the last report */
      lagP99Ms: number;
      /** event-loop delay p99 over the whole run so far */
      lagRunP99Ms: number;
      lagRunMeanMs: number;
      /** the worker's process: its pid, CPU used since it started (ms) and resident memory */
      pid: number;
      processCpuMs: number;
      rssBytes: number;
      final: boolean;
    }
  | { type: 'fatal'; workerId: number; message: string; code?: string | undefined };
