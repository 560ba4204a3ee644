/**
 * One capacity step judged: did it hold the SLOs, achieve its rate and keep the
 * generator healthy? Its row of the step table, from the step's summary and what the
 * probe saw of the broker and the machine.
 */
import { describeThreshold } from '../report/format.js';
import type { Summary } from '../model/summary.js';
import type { CapacityStep } from '../model/capacity.js';
import type { PlannedStep } from './search.js';
import { round } from '../util/numbers.js';

/** A step that completes less than this share of its scheduled rate fell behind, whatever its latencies. */
const ACHIEVED_MIN = 0.9;

export const rateText = (r: number): string => `${Number.isInteger(r) ? r : r.toFixed(1)}/s`;

/** A step's outcome: the SLOs held, the rate achieved, the generator kept up. */
export function judgeStep(
  s: Summary,
  planned: PlannedStep,
  probe: { hostCpu: number | null; brokerCpu: number | null },
): CapacityStep {
  const l = s.latency;
  const p99 = l.connect.count > 0 ? l.connect.p99 : null;
  const achieved = round(s.counts.connected / (planned.durationMs / 1000 + (p99 ?? 0) / 1000), 1);
  return stepRecord(s, planned, probe, { achieved, p50: l.connect.count > 0 ? l.connect.p50 : null, p99 });
}

/**
 * A step's row from its summary and the figures its kind measured: it broke on every
 * threshold that failed, on `broke` (what else its kind requires, in that order), and on an
 * achieved rate short of the scheduled one; it is ok when nothing broke, the generator kept
 * up and no faulty credential was accepted.
 */
export function stepRecord(
  s: Summary,
  planned: PlannedStep,
  probe: { hostCpu: number | null; brokerCpu: number | null },
  f: { achieved: number; p50: number | null; p99: number | null; broke?: readonly string[] },
): CapacityStep {
  const broke = s.thresholds.filter((t) => !t.ok).map((t) => `${t.metric} ${t.expression}: ${describeThreshold(t)}`);
  broke.push(...(f.broke ?? []));
  if (f.achieved < ACHIEVED_MIN * planned.rate)
    broke.push(`achieved ${rateText(f.achieved)} of ${rateText(planned.rate)} scheduled`);
  return {
    rate: planned.rate,
    achieved: f.achieved,
    p50: f.p50,
    p99: f.p99,
    failed: s.counts.failed,
    kind: planned.kind,
    ok: broke.length === 0 && !s.generator.saturated && s.verdict !== 'insecure',
    duration_ms: planned.durationMs,
    broke,
    ...stepContext(s, probe),
  };
}

/** What every step records besides its rate and latencies: connects, failures, saturation, phases, CPU. */
export function stepContext(
  s: Summary,
  probe: { hostCpu: number | null; brokerCpu: number | null },
): Omit<CapacityStep, 'rate' | 'achieved' | 'p50' | 'p99' | 'failed' | 'kind' | 'ok' | 'duration_ms' | 'broke'> {
  const l = s.latency;
  const failures: Record<string, number> = {};
  for (const f of s.failures) if (f.phase !== 'session') failures[f.reason] = (failures[f.reason] ?? 0) + f.count;
  const wallS = Math.max(0.001, (Date.parse(s.run.ended) - Date.parse(s.run.started)) / 1000);
  const p = (phase: 'tcp' | 'tls' | 'connack' | 'subscribe'): number | null =>
    l[phase].count > 0 ? l[phase].p99 : null;
  return {
    attempted: s.counts.attempted,
    connected: s.counts.connected,
    failures,
    saturated: s.generator.saturated,
    saturation_reasons: s.generator.saturation_reasons,
    phases_p99: { tcp: p('tcp'), tls: p('tls'), connack: p('connack'), subscribe: p('subscribe') },
    broker_cpu: probe.brokerCpu,
    host_cpu: probe.hostCpu,
    generator_cpu: round((s.generator.cpu_ms_per_handshake * Math.max(1, s.counts.attempted)) / 1000 / wallS),
  };
}
