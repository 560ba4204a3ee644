/**
 * The lean per-connection MQTT driver: TCP connect, TLS handshake (mqtts://, wss://), the
 * WebSocket upgrade (ws://, wss://: ws.ts), CONNECT → CONNACK, optional SUBSCRIBE → SUBACK,
 * then a held connection that pings until disconnected. Per attempt it allocates the
 * Connection (also the outcome and the held handle) and what Node's net/tls.connect
 * allocates (over WebSocket also the WebSocket); listeners are shared functions, timers
 * are the thread's shared deadline queues, packets were encoded by prepareDevice().
 * Phases are timed with performance.now(): tcp =
 * 'connect', tls = 'secureConnect' − tcp, ws = upgrade done − (tls or tcp), connack =
 * CONNACK − the transport being up, subscribe = SUBACK − CONNACK. A connection counts
 * only on CONNACK: in TLS 1.3 a client-certificate rejection arrives after secureConnect.
 * What the server sends goes through receive.ts, which checks every packet (strict.ts,
 * inbound.ts) before it calls the connection back (connackAccepted, subscribed, pingresp,
 * publishIn, ackIn, fail). Traffic (flow.ts) is built only when the first PUBLISH goes
 * out or comes in: a connection that only connects and pings allocates nothing for it.
 */
import { performance } from 'node:perf_hooks';
import { FAILURE_PHASES, type FailurePhase } from '../model/names.js';
import { deadlines, type Timed } from './deadlines.js';
import { CredentialsError, type PreparedDevice } from './device.js';
import { DISCONNECT, PINGREQ } from './packets.js';
import { Flow, WINDOW_CAP, type FlowSink } from './flow.js';
import type { InboundPublish } from './inbound.js';
import type { PublishQos } from './publish.js';
import {
  classifyClose,
  classifyError,
  classifyTimeout,
  errorDetail,
  type Classified,
  type DriverReason,
  type DriverState,
} from './reasons.js';
import { openWire } from './open.js';
import type { Sock, Wire } from './socket-events.js';
import type { Transport } from './transport.js';
import type { AttemptOptions, AttemptOutcome, HeldConnection, PhaseTimings, Target } from './types.js';
import type { WsOwner } from './ws.js';

const LOCAL_CONFIG: Classified = { phase: 'tls', reason: 'tls_local_config' };
/** How long a broker gets to close the connection after our DISCONNECT. */
const DISCONNECT_GRACE_MS = 2000;

class Connection implements WsOwner, Timed, HeldConnection {
  partial: Buffer | null = null;
  deadlineSeq = 0;
  state: DriverState = 'tcp';
  /** result delivered (success or failure) */
  done = false;
  ok = false;
  phase: FailurePhase | undefined = undefined;
  reason: DriverReason | undefined = undefined;
  error: Error | undefined = undefined;
  /** what arrived or was wrong, for people (a protocol error) */
  detail: string | undefined = undefined;
  // prettier-ignore
  readonly timings: PhaseTimings = { tcp: undefined, tls: undefined, ws: undefined, connack: undefined, subscribe: undefined };
  transport: Transport = 'tls';
  /** epoch ms (performance.timeOrigin-based, comparable across threads) of success */
  readyAt = 0;
  tls13 = false;
  resumed = false;
  alpnProtocol: string | false = false;
  /** the server showed it accepted our certificate (a session ticket or application data came) */
  certAccepted = false;
  /** the CONNACK's return code (3.1.1) or reason code (5); -1 before CONNACK */
  connackCode = -1;
  keepaliveMs = 0;
  pings = 0;
  pongs = 0;
  socket: Wire | null = null; // the socket (mqtt://, mqtts://) or the WebSocket (ws://, wss://)
  /** the server's Receive Maximum (MQTT 5 CONNACK; 65535 when it gives none) */
  receiveMax = 65_535;
  private flow: Flow | null = null;
  private t0 = 0;
  private tTcp = 0;
  private tTls = 0;
  private tWs = 0;
  private tUp = 0; // the transport carries MQTT (after tcp, tls or ws)
  private tConnack = 0;
  private awaitingPong = false;
  /** our DISCONNECT is on its way / the connection is gone (ws.ts reads both) */
  closing = false;
  closed = false;
  private dropCb: ((phase: FailurePhase, reason: DriverReason, detail: string | undefined) => void) | undefined =
    undefined;
  private endCb: (() => void) | undefined = undefined;
  private closeWaiter: (() => void) | undefined = undefined;

  constructor(
    readonly device: PreparedDevice,
    private readonly opts: AttemptOptions,
    private readonly onResult: (o: AttemptOutcome) => void,
  ) {}

  get held(): HeldConnection {
    return this;
  }

  start(target: Target): void {
    const d = this.device;
    this.t0 = performance.now();
    const tr = target.transport ?? 'tls';
    this.transport = tr;
    // a device whose own context could not be built (shared contexts: dial() finds out)
    if ((tr === 'tls' || tr === 'wss') && d.context === null && d.shared === undefined)
      return void process.nextTick(failNow, this, LOCAL_CONFIG, d.contextError ?? undefined);
    try {
      this.socket = openWire(this, target, tr, d, this.opts.resume ? d.session : undefined);
    } catch (e) {
      const c = e instanceof CredentialsError ? LOCAL_CONFIG : classifyError(e as NodeJS.ErrnoException, 'tcp');
      process.nextTick(failNow, this, c, e);
      return;
    }
    deadlines.schedule(this, this.opts.timeouts.tcpMs);
  }

  // ---- phases ----

  tcpUp(): void {
    this.tTcp = performance.now();
    const tr = this.transport;
    if (tr === 'tls' || tr === 'wss') {
      this.state = 'tls';
      deadlines.schedule(this, this.opts.timeouts.tlsMs);
    } else if (tr === 'ws') this.upgrading();
    else this.mqttUp(this.tTcp);
  }

  tlsUp(s: Sock): void {
    this.tTls = performance.now();
    this.tls13 = s.getProtocol() === 'TLSv1.3';
    this.resumed = s.isSessionReused();
    this.alpnProtocol = s.alpnProtocol ?? false;
    if (this.transport === 'wss') this.upgrading();
    else this.mqttUp(this.tTls);
  }

  /** ws://, wss://: the upgrade request is on its way (ws wrote it as the socket came up). */
  private upgrading(): void {
    this.state = 'ws';
    deadlines.schedule(this, this.opts.timeouts.wsMs ?? this.opts.timeouts.tlsMs);
  }

  wsUp(): void {
    this.tWs = performance.now();
    this.mqttUp(this.tWs);
  }

  /** The transport carries bytes: CONNECT. */
  private mqttUp(at: number): void {
    this.tUp = at;
    this.state = 'connack';
    deadlines.schedule(this, this.opts.timeouts.connackMs);
    this.socket!.write(this.device.packets.connect);
  }

  /** A session ticket: the server finished the handshake on its side (TLS 1.3: it accepted our certificate). */
  ticket(session: Buffer): void {
    this.certAccepted = true;
    if (this.opts.captureSession === true) this.device.session = session;
  }

  // ---- packets (receive.ts) ----

  connackAccepted(keepaliveS: number, receiveMax: number): boolean {
    this.tConnack = performance.now();
    this.keepaliveMs = keepaliveS * 1000;
    this.receiveMax = receiveMax;
    const sub = this.device.packets.subscribe;
    if (sub !== null) {
      this.state = 'subscribe';
      deadlines.schedule(this, this.opts.timeouts.subscribeMs);
      this.socket!.write(sub);
      return true;
    }
    this.established();
    return !this.closed;
  }

  subscribed(): boolean {
    this.established();
    return !this.closed;
  }

  pingresp(): void {
    if (this.state === 'session' && this.awaitingPong) {
      this.awaitingPong = false;
      this.pongs++;
      if (!this.closing) deadlines.schedule(this, this.keepaliveMs);
    }
  }

  // ---- traffic (flow.ts) ----

  get version(): 4 | 5 {
    return this.device.packets.version;
  }

  get index(): number {
    return this.device.index;
  }

  private ensureFlow(): Flow {
    this.flow ??= new Flow(
      this.socket!,
      this.opts.traffic?.sink ?? NO_SINK,
      Math.min(this.receiveMax, WINDOW_CAP),
      this.version === 5,
    );
    return this.flow;
  }

  publishIn(m: InboundPublish): boolean {
    if (this.ensureFlow().onPublish(m)) this.opts.traffic?.message(this, m);
    return !this.closed;
  }

  ackIn(type: number, id: number, reason: number): boolean {
    const problem = this.ensureFlow().onAck(type, id, reason);
    if (problem !== null) return this.protocolError(problem);
    return !this.closed;
  }

  publish(buf: Buffer, qos: PublishQos, stream: number, intended: number, payloadBytes: number): boolean {
    // a response may go before SUBACK (a persistent session's queued commands come first)
    if ((this.state !== 'session' && this.state !== 'subscribe') || this.closing || this.closed) return false;
    return this.ensureFlow().send(buf, qos, stream, intended, payloadBytes);
  }

  settle(maxMs: number, cb: () => void): void {
    if (this.flow === null || this.closed) cb();
    else this.flow.settle(maxMs, cb);
  }

  private established(): void {
    const now = performance.now();
    this.state = 'session';
    this.ok = true;
    this.fillTimings(null, now);
    this.readyAt = performance.timeOrigin + now;
    if (this.keepaliveMs > 0) deadlines.schedule(this, this.keepaliveMs);
    else deadlines.cancel(this);
    this.done = true;
    this.onResult(this as unknown as AttemptOutcome);
  }

  /** Timings of the phases that completed before `failed` (all of them on success). */
  private fillTimings(failed: FailurePhase | null, now: number): void {
    const t = this.timings;
    const upTo = failed === null ? FAILURE_PHASES.length : FAILURE_PHASES.indexOf(failed);
    if (upTo > 0 && this.tTcp > 0) t.tcp = (this.tTcp - this.t0) * 1000;
    if (upTo > 1 && this.tTls > 0) t.tls = (this.tTls - this.tTcp) * 1000;
    if (upTo > 2 && this.tWs > 0) t.ws = (this.tWs - (this.tTls > 0 ? this.tTls : this.tTcp)) * 1000;
    if (upTo > 3 && this.tConnack > 0) t.connack = (this.tConnack - this.tUp) * 1000;
    if (failed === null && this.device.packets.subscribe !== null) t.subscribe = (now - this.tConnack) * 1000;
  }

  /** A failure: before the result, it is the result; after, a session drop. Returns false. */
  fail(c: Classified, err?: Error, detail?: string): boolean {
    deadlines.cancel(this);
    this.flow?.close();
    if (!this.done) {
      this.done = true;
      this.phase = c.phase;
      this.reason = c.reason;
      this.error = err;
      this.detail = detail;
      this.fillTimings(c.phase, 0);
      this.closed = true;
      this.socket?.destroy();
      this.onResult(this as unknown as AttemptOutcome);
    } else if (!this.closed) {
      this.closed = true;
      this.socket?.destroy();
      if (this.closing) this.ended();
      else {
        this.phase = 'session';
        this.reason = c.reason;
        this.error = err;
        this.detail = detail;
        this.dropCb?.('session', c.reason, detail);
      }
    }
    return false;
  }

  protocolError(detail: string): boolean {
    const phase: FailurePhase = this.state === 'tcp' ? (this.transport === 'tcp' ? 'tcp' : 'tls') : this.state;
    return this.fail({ phase, reason: 'protocol_error' }, undefined, detail);
  }

  onDeadline(): void {
    if (this.closing) {
      // the broker did not close after our DISCONNECT in time: close it ourselves
      this.socket?.destroy();
      return;
    }
    if (this.state !== 'session') {
      this.fail(classifyTimeout(this.state));
    } else if (this.awaitingPong) {
      this.fail({ phase: 'session', reason: 'ping_timeout' });
    } else if (!this.closing && this.socket !== null) {
      this.pings++;
      this.awaitingPong = true;
      this.socket.write(PINGREQ);
      deadlines.schedule(this, this.opts.timeouts.pingMs ?? Math.min(this.keepaliveMs, 10_000));
    }
  }

  socketError(err: NodeJS.ErrnoException): void {
    if (this.closed) return;
    const c = classifyError(err, this.state, this.tls13, this.certAccepted);
    this.fail(c, err, c.reason === 'protocol_error' || c.reason === 'unclassified' ? errorDetail(err) : undefined);
  }

  socketClosed(): void {
    if (this.closed) {
      this.closeWaiter?.();
      return;
    }
    if (this.closing) {
      this.closed = true;
      deadlines.cancel(this);
      this.flow?.close();
      this.ended();
      return;
    }
    this.fail(classifyClose(this.state, this.tls13, this.certAccepted));
  }

  private ended(): void {
    this.closeWaiter?.();
    this.endCb?.();
  }

  // ---- HeldConnection ----

  onDrop(cb: (phase: FailurePhase, reason: DriverReason, detail: string | undefined) => void): void {
    this.dropCb = cb;
  }

  onEnd(cb: () => void): void {
    this.endCb = cb;
  }

  /** DISCONNECT and a graceful close; on an attempt still in progress, the same as destroy(). */
  disconnect(): void {
    if (this.closing || this.closed) return;
    if (this.state !== 'session') return this.destroy();
    this.closing = true;
    deadlines.schedule(this, DISCONNECT_GRACE_MS);
    this.socket?.end(DISCONNECT);
  }

  disconnectAndWait(ms: number): Promise<void> {
    if (this.closed || this.socket === null || this.socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => this.destroy(), ms);
      this.closeWaiter = () => {
        clearTimeout(t);
        this.closeWaiter = undefined;
        resolve();
      };
      this.disconnect();
    });
  }

  /** Immediate close (Ctrl-C). An attempt still in progress then reports no result. */
  destroy(): void {
    this.closing = true;
    this.done = true;
    this.flow?.close();
    deadlines.cancel(this);
    this.socket?.destroy();
  }
}

/** Counts of a connection without traffic hooks (it still acknowledges what it receives). */
const NO_SINK: FlowSink = { published() {}, acked() {} };

function failNow(c: Connection, cl: Classified, err: Error | undefined): void {
  c.fail(cl, err);
}

/**
 * Starts one attempt. `onResult` is called exactly once (asynchronously) unless the
 * attempt is destroy()ed first. The outcome, the returned handle and (on success) the held
 * connection are one object, the attempt's Connection.
 */
export function attempt(
  device: PreparedDevice,
  target: Target,
  opts: AttemptOptions,
  onResult: (o: AttemptOutcome) => void,
): HeldConnection {
  const c = new Connection(device, opts, onResult);
  c.start(target);
  return c;
}
