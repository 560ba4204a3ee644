/**
 * junit.xml's test case per traffic stream. It fails when a QoS 1/2 stream (one that
 * counts `unacked`) lost a delivery or left a message unacknowledged, or when a message
 * ratio threshold (message_loss, late_messages) breaks on the stream's own counts. The
 * latency thresholds of messages are over every stream at once: they are test cases of
 * their own in the thresholds suite. A stream a ratio cannot be read on (nothing expected)
 * is not failed by it; the threshold's own test case says there was no data.
 */
import { METRICS } from '../../judge/metrics.js';
import { evaluate, parseThreshold, type Threshold } from '../../judge/thresholds.js';
import type { StreamMessages } from '../../model/messages.js';
import type { Summary } from '../../model/summary.js';
import { describeThreshold, int } from '../format.js';
import type { Case } from './case.js';

/** The summary's message ratio thresholds, parsed again (their metric and expression are in the summary). */
function ratioThresholds(s: Summary): Threshold[] {
  return s.thresholds.flatMap((t) => {
    const spec = Object.hasOwn(METRICS, t.metric) ? METRICS[t.metric as keyof typeof METRICS] : undefined;
    if (spec?.kind !== 'messages') return [];
    const parsed = parseThreshold(t.metric, t.expression);
    return parsed.ok ? [parsed.value] : [];
  });
}

function counts(m: StreamMessages): string {
  const acks = m.unacked === undefined ? 'QoS 0' : `${m.acked} acked, ${m.unacked} unacked`;
  return (
    `${m.published} published (${acks}), ${m.delivered} delivered, ${m.lost} lost, ` +
    `${m.duplicated} duplicated, ${m.out_of_order} out of order, ${m.late} late, ${m.bytes} bytes`
  );
}

export function streamCases(s: Summary): Case[] {
  const ratios = ratioThresholds(s);
  return Object.entries(s.messages ?? {}).map(([name, m]) => {
    const acked = m.unacked !== undefined;
    const c: Case = {
      classname: `mqtt-herd.messages.${name}`,
      name: acked ? `${name}: every message acknowledged and delivered` : `${name}: QoS 0, loss counted`,
    };
    const problems: string[] = [];
    if (acked && m.lost > 0)
      problems.push(`${int(m.lost)} of ${int(m.lost + m.delivered - m.duplicated)} expected deliveries lost`);
    if (acked && (m.unacked ?? 0) > 0)
      problems.push(`${int(m.unacked ?? 0)} of ${int(m.published)} messages never acknowledged`);
    const lostOrUnacked = problems.length > 0;
    for (const r of evaluate(ratios, { latency: s.latency, counts: s.counts, messages: { [name]: m } })) {
      if (!r.ok && r.value !== null)
        problems.push(`${r.metric} ${r.expression} broken on this stream: ${describeThreshold(r)}`);
    }
    if (problems.length > 0) {
      c.failure = {
        type: lostOrUnacked ? 'messages' : 'threshold',
        message: problems.join('; '),
        detail: `stream ${name} of run ${s.run.id} (${s.run.scenario}) against ${s.run.target}: ${counts(m)}`,
      };
    }
    return c;
  });
}
