/**
 * The worker side of measurement. A connection worker owns one Recorder, records into it
 * on the hot path (no allocation per call once a failure reason has been seen), and about
 * once a second calls drain() and posts the delta to the coordinator.
 *
 * Every attempt ends in exactly one of: connected(), failure(), rejectedAsExpected(),
 * acceptedUnexpectedly() (an attempt still in flight when the run stops may end in none).
 * So attempted = connected + failed + rejected_as_expected + accepted_unexpectedly + in flight.
 * A held connection the peer closes later is dropped() plus failure('session', reason):
 * it shows among the failures by reason but is not a failed attempt.
 */
import { createHistogram, recordMicros, toSparse, type Hdr, type SparseHistogram } from './hdr.js';
import {
  FAILURE_PHASES,
  FAULTS,
  PHASES,
  isFailureReason,
  type Fault,
  type FailurePhase,
  type Phase,
} from '../model/names.js';
import { MessageRecorder, messageTransferList, type MessageDelta } from './messages.js';

/** Everything recorded since the previous drain. Plain data: structured-clone friendly. */
export interface RecorderDelta {
  /** wall-clock ms (Date.now()) of the previous drain (or creation) and of this one */
  from: number;
  to: number;
  /** traffic measured in the interval (null: none) */
  messages: MessageDelta | null;
  attempts: number;
  connected: number;
  dropped: number;
  /** connections open in this worker now, and the most open at once during the interval */
  active: number;
  activePeak: number;
  /** [phase, reason, count] */
  failures: [FailurePhase, string, number][];
  /** [phase, reason, what one looked like]: the first example of each, sent once */
  examples: [FailurePhase, string, string][];
  security: FaultDelta[];
  /** only phases with values in this interval */
  phases: Partial<Record<Phase, SparseHistogram>>;
  /** TLS handshakes that resumed a session: how many, and their handshake time (not in `phases.tls`) */
  resumed: number;
  resumedTls: SparseHistogram | null;
  /** open-loop attempts started in this interval: how they kept to their intended starts (null: none) */
  schedule: ScheduleDelta | null;
  /** attempts of a device holding a session from an earlier connection, and those that offered it */
  reconnects: number;
  offered: number;
}

/** Open-loop starts of one interval. Times are wall-clock ms (Date.now()). */
export interface ScheduleDelta {
  count: number;
  /** actual − intended start of each, µs */
  lag: SparseHistogram;
  /** attempts that waited for a slot under the in-flight cap */
  waited: number;
  firstIntended: number;
  lastIntended: number;
  lastStarted: number;
}

export interface FaultDelta {
  fault: Fault;
  rejected: number;
  accepted: number;
  /** failures of the faulty device for another reason (counted in failures too) */
  otherFailures: number;
  /** [reason, count] for rejections and other failures */
  reasons: [string, number][];
}

interface FaultCounters {
  rejected: number;
  accepted: number;
  other: number;
  reasons: Map<string, number>;
}

const PHASE_INDEX = indexOf(PHASES);
const FAILURE_PHASE_INDEX = indexOf(FAILURE_PHASES);
const FAULT_INDEX = indexOf(FAULTS);

function indexOf<T extends string>(list: readonly T[]): Record<T, number> {
  return Object.fromEntries(list.map((v, i) => [v, i])) as Record<T, number>;
}

function bump(map: Map<string, number>, key: string): void {
  const n = map.get(key);
  if (n === undefined) {
    if (!isFailureReason(key)) throw new TypeError(`"${key}" is not a failure reason from the closed list`);
    map.set(key, 1);
  } else map.set(key, n + 1);
}

/** Failures decided by the device itself, not by the broker: never a rejection. */
const CLIENT_SIDE = new Set([
  'tls_server_untrusted',
  'tls_local_config',
  'tls_timeout',
  'connack_timeout',
  'subscribe_timeout',
  'unclassified',
  // a broker that speaks broken MQTT did not judge the credential: not a rejection
  'protocol_error',
]);

export class Recorder {
  /** traffic: what this thread published and received */
  readonly messages = new MessageRecorder();
  readonly #hist: Hdr[] = PHASES.map(() => createHistogram('interval'));
  readonly #resumedTls: Hdr = createHistogram('interval');
  #resumed = 0;
  readonly #startLag: Hdr = createHistogram('interval');
  #scheduled = { count: 0, waited: 0, firstIntended: Infinity, lastIntended: -Infinity, lastStarted: -Infinity };
  #reconnects = 0;
  #offered = 0;
  readonly #failures: Map<string, number>[] = FAILURE_PHASES.map(() => new Map<string, number>());
  readonly #faults: FaultCounters[] = FAULTS.map(() => ({
    rejected: 0,
    accepted: 0,
    other: 0,
    reasons: new Map<string, number>(),
  }));
  /** failures whose example was taken (one each, for the whole run) and those not sent yet */
  readonly #exampled = new Set<string>();
  #examples: [FailurePhase, string, string][] = [];
  readonly #now: () => number;
  #from: number;
  #attempts = 0;
  #connected = 0;
  #dropped = 0;
  #active = 0;
  #activePeak = 0;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#from = this.#now();
  }

  /** A phase took `micros` microseconds (`connect` counts from the intended start). */
  recordPhase(phase: Phase, micros: number): void {
    const h = this.#hist[PHASE_INDEX[phase]];
    if (h === undefined) throw new TypeError(`unknown phase "${phase}"`);
    recordMicros(h, micros);
  }

  /**
   * A TLS handshake resumed a session (took `micros`). Recorded apart from the `tls` phase:
   * a resumed handshake skips the certificate exchange, so mixing them would flatter it.
   */
  resumedHandshake(micros: number): void {
    this.#resumed++;
    recordMicros(this.#resumedTls, micros);
  }

  /**
   * An open-loop attempt started at `started`, meant for `intended` (both wall-clock ms);
   * `waited`: it waited for a slot because the in-flight cap was full.
   */
  scheduled(intended: number, started: number, waited: boolean): void {
    const s = this.#scheduled;
    s.count++;
    if (waited) s.waited++;
    if (intended < s.firstIntended) s.firstIntended = intended;
    if (intended > s.lastIntended) s.lastIntended = intended;
    if (started > s.lastStarted) s.lastStarted = started;
    recordMicros(this.#startLag, (started - intended) * 1000);
  }

  /** A device reconnects holding a TLS session from before; `offered`: it offers it for resumption. */
  reconnect(offered: boolean): void {
    this.#reconnects++;
    if (offered) this.#offered++;
  }

  /** An attempt started (good or faulty device). */
  attempt(): void {
    this.#attempts++;
  }

  /** A good device got its CONNACK (and SUBSCRIBE ack when configured). */
  connected(): void {
    this.#connected++;
  }

  /**
   * An attempt failed; `fault` when the device was a faulty one failing for an unrelated
   * reason; `example` what it looked like (the first one of each reason is kept).
   */
  failure(phase: FailurePhase, reason: string, fault?: Fault, example?: string): void {
    const map = this.#failures[FAILURE_PHASE_INDEX[phase]];
    if (map === undefined) throw new TypeError(`unknown failure phase "${phase}"`);
    if (example !== undefined) this.#example(phase, reason, example);
    bump(map, reason);
    if (fault !== undefined) {
      const f = this.#fault(fault);
      f.other++;
      bump(f.reasons, reason);
    }
  }

  /**
   * A faulty device's attempt failed. In the tls, connack or subscribe phase the broker saw
   * the credential and refused it: a rejection, as it must be. In the tcp phase it never saw
   * it, so that is an ordinary failure of the attempt (counted in failures, not as rejected).
   */
  rejectedAsExpected(fault: Fault, phase: FailurePhase, reason: string, example?: string): void {
    // the broker never judged the credential when the connection failed before it could
    // (tcp), after it had accepted it (session), or on our own side of the handshake
    if (phase === 'tcp' || phase === 'session' || CLIENT_SIDE.has(reason)) {
      this.failure(phase, reason, fault, example);
      return;
    }
    const f = this.#fault(fault);
    bump(f.reasons, reason);
    f.rejected++;
  }

  /** A faulty device was accepted: the broker broke a security expectation. */
  acceptedUnexpectedly(fault: Fault): void {
    this.#fault(fault).accepted++;
  }

  /** +1 when a connection is established (CONNACK), -1 when it closes. */
  active(delta: 1 | -1): void {
    this.#active += delta;
    if (this.#active > this.#activePeak) this.#activePeak = this.#active;
  }

  /** The peer closed a held connection after CONNACK. */
  dropped(): void {
    this.#dropped++;
  }

  /** Everything since the last drain; resets the interval. */
  drain(): RecorderDelta {
    const to = this.#now();
    const phases: Partial<Record<Phase, SparseHistogram>> = {};
    PHASES.forEach((phase, i) => {
      const h = this.#hist[i] as Hdr;
      const sparse = toSparse(h);
      if (sparse !== null) phases[phase] = sparse;
      h.reset();
    });
    const failures: [FailurePhase, string, number][] = [];
    FAILURE_PHASES.forEach((phase, i) => {
      const map = this.#failures[i] as Map<string, number>;
      for (const [reason, n] of map) {
        if (n === 0) continue;
        failures.push([phase, reason, n]);
        map.set(reason, 0); // keep the key: the next interval's first failure allocates nothing
      }
    });
    const security: FaultDelta[] = [];
    FAULTS.forEach((fault, i) => {
      const f = this.#faults[i] as FaultCounters;
      if (f.rejected + f.accepted + f.other === 0) return;
      const reasons: [string, number][] = [];
      for (const [reason, n] of f.reasons) {
        if (n === 0) continue;
        reasons.push([reason, n]);
        f.reasons.set(reason, 0);
      }
      security.push({ fault, rejected: f.rejected, accepted: f.accepted, otherFailures: f.other, reasons });
      f.rejected = f.accepted = f.other = 0;
    });
    const m = this.messages.drain();
    const delta: RecorderDelta = {
      from: this.#from,
      to,
      messages: m.streams.length + m.publishAck.length + m.delivery.length > 0 || m.commandRtt !== null ? m : null,
      attempts: this.#attempts,
      connected: this.#connected,
      dropped: this.#dropped,
      active: this.#active,
      activePeak: this.#activePeak,
      failures,
      examples: this.#examples,
      security,
      phases,
      resumed: this.#resumed,
      resumedTls: toSparse(this.#resumedTls),
      schedule: this.#drainSchedule(),
      reconnects: this.#reconnects,
      offered: this.#offered,
    };
    this.#reconnects = this.#offered = 0;
    this.#resumedTls.reset();
    this.#resumed = 0;
    this.#examples = [];
    this.#from = to;
    this.#attempts = this.#connected = this.#dropped = 0;
    this.#activePeak = this.#active;
    return delta;
  }

  #drainSchedule(): ScheduleDelta | null {
    const s = this.#scheduled;
    const lag = toSparse(this.#startLag);
    if (s.count === 0 || lag === null) return null;
    const delta: ScheduleDelta = { ...s, lag };
    this.#startLag.reset();
    this.#scheduled = { count: 0, waited: 0, firstIntended: Infinity, lastIntended: -Infinity, lastStarted: -Infinity };
    return delta;
  }

  #example(phase: FailurePhase, reason: string, example: string): void {
    const key = `${phase}\u0000${reason}`;
    if (this.#exampled.has(key)) return;
    this.#exampled.add(key);
    this.#examples.push([phase, reason, example]);
  }

  #fault(fault: Fault): FaultCounters {
    const f = this.#faults[FAULT_INDEX[fault]];
    if (f === undefined) throw new TypeError(`unknown fault "${fault}"`);
    return f;
  }
}

/** The ArrayBuffers of a delta, to pass as postMessage's transfer list (avoids a copy). */
export function deltaTransferList(delta: RecorderDelta): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const s of Object.values(delta.phases)) if (s !== undefined) list.push(s.pairs.buffer as ArrayBuffer);
  if (delta.schedule !== null) list.push(delta.schedule.lag.pairs.buffer as ArrayBuffer);
  if (delta.messages !== null) list.push(...messageTransferList(delta.messages));
  return list;
}
