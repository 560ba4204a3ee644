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
  broker: { name: string; threads: number } | undefined;
}

/** The thresholds these findings take (FINDING_LIMITS). */
export interface CpuLimits {
  hostBusy: number;
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

/** Weighted means of the samples that overlap the schedule (all of them without one). */
function cpuDuring(s: Summary, samples: readonly CpuSample[]): Record<'host' | 'broker' | 'generator', number | null> {
  const from = s.schedule === undefined ? -Infinity : Date.parse(s.schedule.first_intended);
  const to = s.schedule === undefined ? Infinity : Date.parse(s.schedule.last_started);
  const inWindow = samples.filter((x) => x.at > from && x.at - x.ms < to);
  const mean = (k: 'host' | 'broker' | 'generator'): number | null => {
    const known = inWindow.filter((x) => x[k] !== null);
    const ms = known.reduce((a, x) => a + x.ms, 0);
    return ms === 0 ? null : known.reduce((a, x) => a + x[k]! * x.ms, 0) / ms;
  };
  return { host: mean('host'), broker: mean('broker'), generator: mean('generator') };
}

/** CPU ms the broker spent per attempt over the whole run (null when its CPU is unknown). */
function brokerMsPerAttempt(s: Summary, samples: readonly CpuSample[]): number | null {
  const known = samples.filter((x) => x.broker !== null);
  if (known.length === 0 || s.counts.attempted === 0) return null;
  return known.reduce((a, x) => a + x.broker! * x.ms, 0) / s.counts.attempted;
}

interface CpuFacts {
  cpu: Record<'host' | 'broker' | 'generator', number | null>;
  /** generator CPU ms per connect, the broker's (null: unknown), connects/s the cores carry with nothing else running */
  genMs: number;
  brokerMs: number | null;
  carries: number | null;
  /** what to change about the rate: '' when the rate asked is below what the cores carry (with headroom) */
  lowerRate: string;
  evidence: Finding['evidence'];
}

function cpuFacts(s: Summary, f: CpuRunFacts, L: CpuLimits): CpuFacts {
  const cpu = cpuDuring(s, f.cpu);
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
    generator_cores: cpu.generator === null ? null : r3(cpu.generator),
    broker_cores: cpu.broker === null ? null : r3(cpu.broker),
    generator_cpu_ms_per_connect: r3(genMs),
    broker_cpu_ms_per_connect: brokerMs === null ? null : r3(brokerMs),
    cores_carry_per_second: carries === null ? null : r1(carries),
  };
  return { cpu, genMs, brokerMs, carries, lowerRate, evidence };
}

/** The machine's CPUs full: who used them, what a connect costs, what to change. */
function machineCpu(c: CpuFacts, f: CpuRunFacts, name: string): Finding {
  const host = c.cpu.host ?? 0;
  const gen = c.cpu.generator ?? 0;
  const broker = c.cpu.broker ?? 0;
  const others = Math.max(0, host * f.cores - gen - broker);
  const split =
    `the generator used ${c1(gen)} cores` +
    (c.cpu.broker === null ? '' : `, ${name} ${c1(broker)}`) +
    `, other processes ${c1(others)}`;
  const cost = `a connect costs ${formatMs(c.genMs)} of generator CPU${c.brokerMs === null ? '' : ` and ${formatMs(c.brokerMs)} of the broker's`}`;
  const change =
    others >= gen + broker
      ? 'Most of it was other processes: connects waited for a CPU, so the latencies describe a busy machine. Run on a quieter one.'
      : `TLS handshakes on both sides share these cores; ${cost}${c.lowerRate}, or run the broker (or the generator) on another machine.`;
  return {
    code: 'machine_cpu',
    severity: 'warning',
    message: `The machine's ${f.cores} CPUs were ${pct(host)} busy while the schedule ran: ${split}. ${change}`,
    evidence: { ...c.evidence, other_cores: r3(others) },
  };
}

export function cpuFindings(s: Summary, f: CpuRunFacts, L: CpuLimits): Finding[] {
  const c = cpuFacts(s, f, L);
  const out: Finding[] = [];
  const gen = c.cpu.generator ?? 0;
  const name = f.broker?.name ?? 'the broker';
  if (c.cpu.host !== null && c.cpu.host >= L.hostBusy) out.push(machineCpu(c, f, name));
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
