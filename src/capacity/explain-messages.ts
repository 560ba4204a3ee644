/**
 * What limited a message search at the step that broke: deliveries lost, the fleet not all
 * connected, the message latency that grew from the step that held, the broker passing on
 * fewer messages than were scheduled, and the CPU of the broker and the machine.
 */
import { ms, percent } from '../report/format.js';
import type { Capacity, CapacityFinding, CapacityStep } from '../model/capacity.js';
import { cpuFindings, type RateWords } from './explain-machine.js';

const LATENCY_WORDS = { delivery: 'delivery (intended send → received)', publish_ack: 'publish → ack' } as const;

/** Evidence, strongest first, of what limited the broker at message step b (against step a that held). */
export function messageEvidence(
  b: CapacityStep,
  a: CapacityStep | undefined,
  config: Capacity['config'],
  per: RateWords,
): CapacityFinding[] {
  const out: CapacityFinding[] = [];
  const m = b.messages;
  if (m !== undefined && m.lost > 0 && m.expected_deliveries > 0)
    out.push({
      kind: 'loss',
      text:
        `${percent(m.lost / m.expected_deliveries)} of the deliveries expected were lost at ${per(b.rate)} ` +
        `(${m.lost} of ${m.expected_deliveries}): the broker dropped messages it could not pass on ` +
        '(its queues per subscriber, or QoS 0 under load)',
    });
  if (b.connected < b.attempted || b.failed > 0)
    out.push({
      kind: 'failures',
      text: `${b.failed} of the fleet's ${b.attempted} connects failed at ${per(b.rate)}: fewer devices published`,
    });
  if (m !== undefined && m.latency !== null && b.p99 !== null) {
    const before = a !== undefined && a.p99 !== null ? ` (${ms(a.p99)} at ${per(a.rate)})` : '';
    out.push({
      kind: 'latency',
      text: `${LATENCY_WORDS[m.latency]} p99 was ${ms(b.p99)} at ${per(b.rate)}${before}: messages queued in the broker or its sockets`,
    });
  }
  out.push(...cpuFindings(b, config, per, 'the message path (TLS records and routing to subscribers)'));
  if (b.achieved < 0.9 * b.rate)
    out.push({
      kind: 'queueing',
      text: `the broker passed on ${per(Math.round(b.achieved * 10) / 10)} of ${per(b.rate)} scheduled`,
    });
  return out;
}
