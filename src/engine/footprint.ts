/**
 * What a connection costs the generator, for a capacity planner: the resident memory its
 * processes grow by per held connection, the CPU a handshake costs while the schedule
 * ramps and the CPU a held connection costs per second afterwards — and, when the broker
 * runs on this machine, the broker's CPU over the same phases.
 *
 * The ramp runs from the schedule's start until its last attempt has ended (every arrival
 * received, none queued or in flight); the hold from there while the connections stay
 * held: until fewer than 99% of the most held since are left (their --hold ran out, the
 * broker or a storm cut them) or the run ends them — so releasing them (DISCONNECT, TLS
 * close) is no part of what holding costs. The coordinator feeds it the start, every worker report and both ends.
 * Generator CPU and RSS are this process (its worker threads included) plus the generator
 * child processes as of their latest report (every 250 ms).
 */

/** What is read at a moment: the generator's CPU ms so far, its RSS, the broker's CPU ms so far. */
export interface Gauges {
  cpuMs(): number;
  rssBytes(): number;
  /** undefined: the broker is not a process of this machine that /proc shows */
  brokerCpuMs(): number | undefined;
}

interface Mark {
  at: number;
  cpuMs: number;
  brokerCpuMs: number | undefined;
}

export interface PhaseCost {
  ms: number;
  cpuMs: number;
  /** undefined: the broker's CPU is unknown */
  brokerCpuMs: number | undefined;
}

export interface FootprintResult {
  /** RSS of the generator before the first connect */
  rssBeforeBytes: number;
  /** the most connections held at once and the (largest) RSS seen at that count; undefined: none held */
  heldPeak: { held: number; rssBytes: number } | undefined;
  /** undefined: the run stopped before the ramp began */
  ramp: (PhaseCost & { handshakes: number }) | undefined;
  /** undefined: the run ended before the ramp did, or nothing stayed held after it */
  hold: (PhaseCost & { connectionSeconds: number }) | undefined;
  /** the broker's CPU from the start to the end (undefined: unknown) */
  brokerCpuMs: number | undefined;
  ms: number;
}

/** The hold ends when fewer than this share of the most held since the ramp are left. */
const HOLD_KEPT = 0.99;

const cost = (a: Mark, b: Mark): PhaseCost => ({
  ms: Math.max(0, b.at - a.at),
  cpuMs: Math.max(0, b.cpuMs - a.cpuMs),
  brokerCpuMs:
    a.brokerCpuMs === undefined || b.brokerCpuMs === undefined ? undefined : Math.max(0, b.brokerCpuMs - a.brokerCpuMs),
});

export class Footprint {
  private start: Mark | undefined;
  private rampEnd: Mark | undefined;
  private holdEnd: Mark | undefined;
  private end: Mark | undefined;
  private rssBefore = 0;
  private heldPeak: { held: number; rssBytes: number } | undefined;
  private handshakes = 0;
  private connectionMs = 0;
  private heldSince = 0;
  private held = 0;
  private holdPeak = 0;

  constructor(private readonly gauges: Gauges) {}

  private mark(at: number): Mark {
    return { at, cpuMs: this.gauges.cpuMs(), brokerCpuMs: this.gauges.brokerCpuMs() };
  }

  /** The schedule starts: nothing is connected yet. */
  begin(at: number): void {
    this.start = this.mark(at);
    this.rssBefore = this.gauges.rssBytes();
  }

  get ramping(): boolean {
    return this.start !== undefined && this.rampEnd === undefined && this.end === undefined;
  }

  /** A worker reported `attempts` new attempts; `held` connections are held over all workers now. */
  report(at: number, attempts: number, held: number): void {
    if (this.start === undefined || this.end !== undefined) return;
    if (this.rampEnd === undefined) this.handshakes += attempts;
    this.holding(at);
    this.held = held;
    if (this.rampEnd !== undefined && this.holdEnd === undefined) {
      this.holdPeak = Math.max(this.holdPeak, held);
      if (held < HOLD_KEPT * this.holdPeak) this.holdEnd = this.mark(at);
    }
    if (held > 0 && held >= (this.heldPeak?.held ?? 0)) {
      const rss = this.gauges.rssBytes();
      if (held > (this.heldPeak?.held ?? 0) || rss > this.heldPeak!.rssBytes) this.heldPeak = { held, rssBytes: rss };
    }
  }

  /** Connection-time of the hold so far. */
  private holding(at: number): void {
    if (this.rampEnd !== undefined && this.holdEnd === undefined)
      this.connectionMs += this.held * (at - this.heldSince);
    this.heldSince = at;
  }

  /** The schedule's last attempt has ended. */
  endRamp(at: number): void {
    if (!this.ramping || this.handshakes === 0) return;
    this.rampEnd = this.mark(at);
    this.heldSince = at;
    this.holdPeak = this.held;
  }

  /** The run starts ending the held connections. */
  endHold(at: number): void {
    if (this.start === undefined || this.holdEnd !== undefined || this.end !== undefined) return;
    this.holding(at);
    this.holdEnd = this.mark(at);
  }

  /** The run is over (every worker done). */
  finish(at: number): FootprintResult {
    this.endHold(at);
    this.end ??= this.mark(at);
    const start = this.start ?? this.end;
    const rampEnd = this.rampEnd ?? this.holdEnd ?? this.end;
    const hold = this.rampEnd === undefined ? undefined : cost(this.rampEnd, this.holdEnd ?? this.end);
    const total = cost(start, this.end);
    return {
      rssBeforeBytes: this.rssBefore,
      heldPeak: this.heldPeak,
      ramp: this.start === undefined ? undefined : { ...cost(start, rampEnd), handshakes: this.handshakes },
      hold:
        hold === undefined || this.connectionMs === 0
          ? undefined
          : { ...hold, connectionSeconds: this.connectionMs / 1000 },
      brokerCpuMs: total.brokerCpuMs,
      ms: total.ms,
    };
  }
}
