/**
 * One message step judged: the message SLOs held, every device of the fleet connected and
 * published what it was scheduled, the broker passed on what it got at (about) the rate
 * scheduled, and the generator kept up. Its row of the step table, in messages/s.
 */
import type { Summary } from '../model/summary.js';
import type { CapacityStep, StepMessages } from '../model/capacity.js';
import type { PlannedStep } from './search.js';
import type { MessagePlan } from './messages.js';
import { stepRecord } from './step.js';
import { round } from '../util/numbers.js';

/** The step's message counts, off the summary's stream of the plan. */
export function stepMessages(s: Summary, plan: MessagePlan, scheduled: number): StepMessages {
  const m = s.messages?.[plan.stream.name];
  const published = m?.published ?? 0;
  const delivered = m?.delivered ?? 0;
  const duplicated = m?.duplicated ?? 0;
  const lost = m?.lost ?? 0;
  const has = (phase: 'delivery' | 'publish_ack'): boolean => (s.latency[phase]?.count ?? 0) > 0;
  return {
    stream: plan.stream.name,
    scheduled,
    published,
    acked: m?.acked ?? 0,
    delivered,
    expected_deliveries: plan.subscribers > 0 ? delivered - duplicated + lost : 0,
    lost,
    duplicated,
    late: m?.late ?? 0,
    latency: has('delivery') ? 'delivery' : has('publish_ack') ? 'publish_ack' : null,
  };
}

/** Messages the broker saw through: delivered (per message, whatever the fan-out), else acknowledged, else sent. */
function completed(m: StepMessages, qos: number): number {
  if (m.expected_deliveries > 0 && m.published > 0) {
    const fanOut = m.expected_deliveries / m.published;
    return (m.delivered - m.duplicated) / fanOut;
  }
  return qos > 0 ? m.acked : m.published;
}

export function judgeMessageStep(
  s: Summary,
  planned: PlannedStep,
  plan: MessagePlan,
  scheduled: number,
  probe: { hostCpu: number | null; brokerCpu: number | null },
): CapacityStep {
  const m = stepMessages(s, plan, scheduled);
  const lat = m.latency === null ? undefined : s.latency[m.latency];
  const p99 = lat === undefined || lat.count === 0 ? null : lat.p99;
  const p50 = lat === undefined || lat.count === 0 ? null : lat.p50;
  // per second of the step: a broker that falls behind a message schedule (which never waits) shows
  // in the latencies and losses, not in a longer step
  const achieved = round(completed(m, plan.stream.qos) / (planned.durationMs / 1000), 1);
  const broke: string[] = [];
  if (s.counts.connected < plan.devices)
    broke.push(`${s.counts.connected} of the fleet's ${plan.devices} devices connected`);
  if (m.published < scheduled) broke.push(`published ${m.published} of ${scheduled} messages scheduled`);
  return { ...stepRecord(s, planned, probe, { achieved, p50, p99, broke }), messages: m };
}
