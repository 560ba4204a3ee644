/** The driver's API types: where to connect, per-run options, and what an attempt reports. */
import type { FailurePhase } from '../model/names.js';
import type { DriverReason } from './reasons.js';
import type { Transport } from './transport.js';
import type { FlowOwner, TrafficHooks } from './flow.js';

export interface Target {
  host: string;
  port: number;
  /** how to reach it (default tls: mqtts://) */
  transport?: Transport | undefined;
  /** ws and wss: the upgrade request's path (default /mqtt) */
  path?: string | undefined;
  /** ALPN protocols offered in the TLS handshake (tls and wss), e.g. ['x-amzn-mqtt-ca'] */
  alpn?: string[] | undefined;
  /** SNI and the name checked in the server certificate; default: host (IPs are checked against IP SANs) */
  servername?: string | undefined;
  /** source address to bind (spreading over --source-ips) */
  localAddress?: string | undefined;
}

export interface Timeouts {
  tcpMs: number;
  tlsMs: number;
  /** the WebSocket upgrade (ws and wss); default tlsMs */
  wsMs?: number | undefined;
  connackMs: number;
  subscribeMs: number;
  /** wait for PINGRESP; default min(keepalive, 10 s) */
  pingMs?: number | undefined;
}

/** Per run (build once, pass to every attempt). */
export interface AttemptOptions {
  timeouts: Timeouts;
  /** offer device.session for resumption when it has one */
  resume?: boolean | undefined;
  /** keep the session tickets the server sends in device.session */
  captureSession?: boolean | undefined;
  /** where message counts go and what to do with PUBLISHes received (one object per run) */
  traffic?: TrafficHooks | undefined;
}

/** Microseconds per phase; undefined for a phase that did not complete. */
export interface PhaseTimings {
  tcp: number | undefined;
  tls: number | undefined;
  /** the WebSocket upgrade: request sent → 101 Switching Protocols checked */
  ws: number | undefined;
  connack: number | undefined;
  subscribe: number | undefined;
}

export interface HeldConnection extends FlowOwner {
  /** the server dropped us, or a PINGRESP did not come: phase `session`; `detail` as on a failed outcome */
  onDrop(cb: (phase: FailurePhase, reason: DriverReason, detail: string | undefined) => void): void;
  /** ended by disconnect() or destroy() */
  onEnd(cb: () => void): void;
  /** DISCONNECT, then a graceful TLS close */
  disconnect(): void;
  /** disconnect(); destroy() if the close takes longer than `ms` */
  disconnectAndWait(ms: number): Promise<void>;
  destroy(): void;
  readonly pings: number;
  readonly pongs: number;
}

/** What every outcome also tells, for tests and diagnostics. */
interface OutcomeDetails {
  /** the CONNACK's return code (3.1.1) or reason code (5); -1 when no CONNACK came */
  readonly connackCode: number;
  /** the keepalive in force, ms: the device's or the MQTT 5 Server Keep Alive; 0 before CONNACK */
  readonly keepaliveMs: number;
  /** the handshake negotiated TLS 1.3 */
  readonly tls13: boolean;
  /** the ALPN protocol the server selected; false: none (or no TLS) */
  readonly alpnProtocol: string | false;
}

export type AttemptOutcome = OutcomeDetails &
  (
    | { ok: true; timings: PhaseTimings; readyAt: number; held: HeldConnection; resumed: boolean }
    | {
        ok: false;
        phase: FailurePhase;
        reason: DriverReason;
        timings: PhaseTimings;
        error: Error | undefined;
        /**
         * what arrived or was wrong, for people: a protocol error's first bytes as hex and
         * printable (`48 54 54 50 … "HTTP/1.1 400 Bad"`) or its fault ("CONNACK flags 0x01
         * with clean start"); an unclassified error's code and message
         */
        detail?: string;
      }
  );
