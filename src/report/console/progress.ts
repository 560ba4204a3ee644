/** The live status line of a run for stderr: elapsed, rate, counts, connect p50/p99, msgs/s, the top failure. */
import type { AggregateSnapshot } from '../../metrics/aggregate.js';
import { formatMs } from '../../model/units.js';
import { int, lpad } from '../format.js';

/** One live status line for stderr (no newline; the caller redraws it or prints it periodically). */
export function progressLine(snap: AggregateSnapshot): string {
  const parts = [
    lpad(formatMs(snap.elapsed * 1000), 6),
    `${int(snap.connectRate)}/s`,
    `connected ${int(snap.connected)}/${int(snap.attempted)}`,
    `active ${int(snap.active)}`,
    `failed ${int(snap.failed)}`,
    `p50 ${snap.connectP50 === null ? '-' : formatMs(snap.connectP50)}`,
    `p99 ${snap.connectP99 === null ? '-' : formatMs(snap.connectP99)}`,
  ];
  // with traffic: messages published and deliveries received per second
  if (snap.messages !== undefined)
    parts.push(`${int(snap.messages.publishRate)} msgs/s`, `delivered ${int(snap.messages.deliveryRate)}/s`);
  if (snap.rejectedAsExpected > 0) parts.push(`rejected ${int(snap.rejectedAsExpected)}`);
  if (snap.acceptedUnexpectedly > 0) parts.push(`INSECURE: ${int(snap.acceptedUnexpectedly)} faulty accepted`);
  if (snap.sessionDrops > 0) parts.push(`dropped by the broker ${int(snap.sessionDrops)}`);
  // the most frequent reason among the failed attempts (a drop after CONNACK is not one)
  const top = snap.failures.find((f) => f.phase !== 'session');
  if (top !== undefined) parts.push(`top failure ${top.reason} ${int(top.count)}`);
  return parts.join('  ');
}
