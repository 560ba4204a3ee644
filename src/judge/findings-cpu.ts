/**
 * Findings of CPU: the machine's CPUs full (and who used them), the generator or a local
 * broker at its ceiling, each with the CPU a connect costs and the rate the cores carry.
 * Sampled once a second (engine/probe.ts) and read over the time the schedule ran. The
 * thresholds are findings.ts's FINDING_LIMITS.
 */
import type { Finding, Summary } from '../model/summary.js';
import { formatMs } from '../model/units.js';

/** The CPU of one interval (a second) of the run. */
export interface CpuSample {
  /** epoch ms at the end of the interval, and its length */
  at: number;
  ms: number;
  /** share of all the machine's CPUs busy, 0–1 (null: /proc does not say) */
  host: number | null;
  /** cores the broker process used (null: not on this machine, or hidden) */
  broker: number | null;
  /** cores the generator used (this process and its generator processes) */
  generator: number | null;
}

/** What these findings take of the run's facts (RunFacts). */
export interface CpuRunFacts {
  cores: number;
  cpu: readonly CpuSample[];
  broker: { name: string; threads: number; pid?: number; pids?: number[] } | undefined;
}

/** The thresholds these findings take (FINDING_LIMITS). */
export interface CpuLimits {
  hostBusy: number;
  hostFull: number;
  hostFullSeconds: number;
  hostFullShare: number;
  generatorShare: number;
  brokerShare: number;
  cpuHeadroom: number;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const pct = (x: number): string => `${Math.round(x * 100)}%`;
const perS = (x: number): string => `${x < 10 ? r1(x) : Math.round(x)}/s`;
/** cores, one decimal */
const c1 = (x: number): string => x.toFixed(1);

type Means = Record<'host' | 'broker' | 'generator', number | null>;

/** The samples that overlap the schedule (all of them without one). */
function duringSchedule(s: Summary, samples: readonly CpuSample[]): CpuSample[] {
  const from = s.schedule === undefined ? -Infinity : Date.parse(s.schedule.first_intended);
  const to = s.schedule === undefined ? Infinity : Date.parse(s.schedule.last_started);
  return samples.filter((x) => x.at > from && x.at - x.ms < to);
}

/** Weighted means of the samples. */
function means(samples: readonly CpuSample[]): Means {
  const mean = (k: keyof Means): number | null => {
    const known = samples.filter((x) => x[k] !== null);
    const ms = known.reduce((a, x) => a + x.ms, 0);
    return ms === 0 ? null : known.reduce((a, x) => a + x[k]! * x.ms, 0) / ms;
  };
  return { host: mean('host'), broker: mean('broker'), generator: mean('generator') };
}

/**
 * Who spent the CPU while the schedule ran, for a schedule that slipped: the cores the
 * generator and the broker used on average, in words and as evidence (undefined: /proc
 * said nothing).
 */
export function scheduleCpu(s: Summary, f: CpuRunFacts): { words: string; evidence: Finding['evidence'] } | undefined {
  const m = means(duringSchedule(s, f.cpu));
  if (m.generator === null && m.broker === null) return undefined;
  const pids = f.broker?.pids ?? (f.broker?.pid === undefined ? [] : [f.broker.pid]);
  const name =
    f.broker === undefined
      ? 'the broker'
      : pids.length > 1
        ? `${f.broker.name} ×${pids.length} (pids ${pids.join(', ')}, together)`
        : `${f.broker.name}${pids.length === 0 ? '' : ` (pid ${pids[0]})`}`;
  const threads = Math.min(f.broker?.threads ?? f.cores, f.cores);
  const gen = m.generator === null ? '' : `the generator's processes used ${c1(m.generator)} of the ${f.cores} cores`;
  const ceiling = threads === 1 ? 'of the one core its thread can use' : `of the ${threads} cores its threads can use`;
  const broker =
    m.broker === null
      ? "the broker's CPU is unknown (not a process of this machine that /proc shows)"
      : `${name} ${pct(m.broker / threads)} ${ceiling}`;
  const host = m.host === null ? '' : ` (the machine ${pct(m.host)} busy)`;
  return {
    words: `While the schedule ran ${[gen, broker].filter((x) => x !== '').join(m.broker === null ? '; ' : ' and ')}${host}.`,
    evidence: {
      cores: f.cores,
      generator_cores: m.generator === null ? null : r3(m.generator),
      broker_cores: m.broker === null ? null : r3(m.broker),
      broker_threads: f.broker === undefined ? null : threads,
      broker_pid: f.broker?.pid ?? null,
      ...(pids.length > 1 ? { broker_pids: pids.join(',') } : {}),
      machine_busy: m.host === null ? null : r3(m.host),
    },
  };
}

/** CPU ms the broker spent per attempt over the whole run (null when its CPU is unknown). */
function brokerMsPerAttempt(s: Summary, samples: readonly CpuSample[]): number | null {
  const known = samples.filter((x) => x.broker !== null);
  if (known.length === 0 || s.counts.attempted === 0) return null;
  return known.reduce((a, x) => a + x.broker! * x.ms, 0) / s.counts.attempted;
}

interface CpuFacts {
  /** means over the schedule, and over its seconds when every CPU was busy (null: none was) */
  cpu: Means;
  full: Means | null;
  /** samples over the schedule that say how busy the machine was, and those when it was full */
  seconds: number;
  fullSeconds: number;
  /** generator CPU ms per connect, the broker's (null: unknown), connects/s the cores carry with nothing else running */
  genMs: number;
  brokerMs: number | null;
  carries: number | null;
  /** what to change about the rate: '' when the rate asked is below what the cores carry (with headroom) */
  lowerRate: string;
  evidence: Finding['evidence'];
}

function cpuFacts(s: Summary, f: CpuRunFacts, L: CpuLimits): CpuFacts {
  const window = duringSchedule(s, f.cpu).filter((x) => x.host !== null);
  const fullSamples = window.filter((x) => x.host! >= L.hostFull);
  const cpu = means(window);
  const full = fullSamples.length === 0 ? null : means(fullSamples);
  const genMs = s.generator.cpu_ms_per_handshake;
  const brokerMs = brokerMsPerAttempt(s, f.cpu);
  const perConnect = genMs + (brokerMs ?? 0);
  const carries = perConnect > 0 ? (f.cores * 1000) / perConnect : null;
  const asked = s.schedule?.asked_per_second ?? null;
  const keep = carries === null ? null : carries * L.cpuHeadroom;
  const lowerRate =
    carries === null || keep === null || (asked !== null && asked <= keep)
      ? ''
      : `, so ${f.cores} cores carry about ${perS(carries)} with nothing else running: lower --rate to about ${perS(keep)}`;
  const evidence = {
    cores: f.cores,
    machine_busy: cpu.host === null ? null : r3(cpu.host),
    full_seconds: fullSamples.length,
    seconds: window.length,
    generator_cores: cpu.generator === null ? null : r3(cpu.generator),
    broker_cores: cpu.broker === null ? null : r3(cpu.broker),
    generator_cpu_ms_per_connect: r3(genMs),
    broker_cpu_ms_per_connect: brokerMs === null ? null : r3(brokerMs),
    cores_carry_per_second: carries === null ? null : r1(carries),
  };
  return {
    cpu,
    full,
    seconds: window.length,
    fullSeconds: fullSamples.length,
    genMs,
    brokerMs,
    carries,
    lowerRate,
    evidence,
  };
}

/**
 * The machine's CPUs full, on average or in bursts: who used them (over the whole schedule,
 * or over its full seconds when only those were), what a connect costs, what to change.
 */
function machineCpu(c: CpuFacts, f: CpuRunFacts, name: string, L: CpuLimits): Finding {
  const onAverage = (c.cpu.host ?? 0) >= L.hostBusy;
  const m = onAverage || c.full === null ? c.cpu : c.full;
  const gen = m.generator ?? 0;
  const broker = m.broker ?? 0;
  const others = Math.max(0, (m.host ?? 0) * f.cores - gen - broker);
  const split =
    `the generator used ${c1(gen)} cores` +
    (m.broker === null ? '' : `, ${name} ${c1(broker)}`) +
    `, other processes ${c1(others)}`;
  const busy = onAverage
    ? `were ${pct(c.cpu.host ?? 0)} busy while the schedule ran: ${split}`
    : `were full (${pct(L.hostFull)} or more) in ${c.fullSeconds} of the ${c.seconds} seconds the schedule ran ` +
      `(${pct(c.cpu.host ?? 0)} on average); in those seconds ${split}`;
  const cost = `a connect costs ${formatMs(c.genMs)} of generator CPU${c.brokerMs === null ? '' : ` and ${formatMs(c.brokerMs)} of the broker's`}`;
  const carries =
    c.carries === null ? '' : `, so ${f.cores} cores carry about ${perS(c.carries)} with nothing else running`;
  const change =
    others >= gen + broker
      ? 'Most of it was other processes: connects waited for a CPU, so the latencies describe a busy machine. Run on a quieter one.'
      : c.lowerRate !== ''
        ? `TLS handshakes on both sides share these cores; ${cost}${c.lowerRate}, or run the broker (or the generator) on another machine.`
        : `TLS handshakes on both sides share these cores; ${cost}${carries}: the rate asked fits them, but not beside the ` +
          'other processes. Run on a quieter machine, or lower --rate.';
  return {
    code: 'machine_cpu',
    severity: 'warning',
    message: `The machine's ${f.cores} CPUs ${busy}. ${change}`,
    evidence: {
      ...c.evidence,
      generator_cores: r3(gen),
      broker_cores: m.broker === null ? null : r3(broker),
      other_cores: r3(others),
      cores_over: onAverage || c.full === null ? 'the schedule' : 'its full seconds',
    },
  };
}

export function cpuFindings(s: Summary, f: CpuRunFacts, L: CpuLimits): Finding[] {
  const c = cpuFacts(s, f, L);
  const out: Finding[] = [];
  const gen = c.cpu.generator ?? 0;
  const name = f.broker?.name ?? 'the broker';
  const bursts = c.fullSeconds >= L.hostFullSeconds && c.fullSeconds >= L.hostFullShare * c.seconds;
  if ((c.cpu.host ?? 0) >= L.hostBusy || bursts) out.push(machineCpu(c, f, name, L));
  else if (gen >= L.generatorShare * f.cores)
    out.push({
      code: 'generator_cpu',
      severity: 'warning',
      message:
        `The generator used ${c1(gen)} of the machine's ${f.cores} cores (${formatMs(c.genMs)} of CPU per connect)${c.lowerRate}; ` +
        'or spread it over --processes, or shards on more machines.',
      evidence: c.evidence,
    });
  const threads = Math.min(f.broker?.threads ?? f.cores, f.cores);
  if (c.cpu.broker !== null && c.cpu.broker >= L.brokerShare * threads) {
    const one = threads === 1 ? 'its one thread (every TLS handshake runs on it)' : `its ${threads} threads`;
    out.push({
      code: 'broker_cpu',
      severity: 'warning',
      message:
        `${name} used ${c1(c.cpu.broker)} cores, all that ${one} can use: the broker is the limit at this rate. ` +
        'Lower --rate to stay below it, or spread the devices over more broker processes (--target a,b,...).',
      evidence: { ...c.evidence, broker_threads: threads },
    });
  }
  return out;
}
