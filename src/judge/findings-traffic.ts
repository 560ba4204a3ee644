/**
 * The traffic's findings: messages the broker held back. A message that was on time when it
 * was due and still went out late waited for the broker — its in-flight window (the
 * Receive Maximum it granted) full because acknowledgements came slower than the schedule,
 * or its socket not reading. That is the broker's pace, measured (publish → ack and
 * delivery latency count from the intended time), not a generator that fell behind.
 */
import type { Finding, Summary } from '../model/summary.js';

export function heldBackFinding(s: Summary): Finding | undefined {
  const streams = Object.entries(s.messages ?? {}).filter(([, m]) => (m.held_back ?? 0) > 0);
  if (streams.length === 0) return undefined;
  const held = streams.reduce((a, [, m]) => a + m.held_back!, 0);
  const published = Object.values(s.messages ?? {}).reduce((a, m) => a + m.published, 0);
  const names = streams.map(([n]) => n).join(', ');
  return {
    code: 'broker_held_back',
    severity: 'warning',
    message:
      `The broker held back ${held} of ${published} messages (${names}): they were on time when due and waited ` +
      'for its in-flight window (acknowledgements came slower than the schedule) or for its socket to read. ' +
      'That is the broker’s pace, so it counts in publish → ack and delivery latency from the intended time, ' +
      'and the run is not inconclusive for it.',
    evidence: { held_back: held, published, streams: names },
  };
}
