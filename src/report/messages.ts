/**
 * The traffic's figures every output shows (loss rate, msgs/s, the message phases present),
 * and its part of the console summary: two lines per stream, the message latency rows.
 */
import { MESSAGE_PHASES, type MessagePhase, type StreamMessages } from '../model/messages.js';
import type { Summary } from '../model/summary.js';
import { bytes, int, pad, percent, rateNumber } from './format.js';

export const MESSAGE_PHASE_LABEL: Record<MessagePhase, string> = {
  publish_ack: 'publish → ack',
  delivery: 'delivery',
  command_rtt: 'command rtt',
};

/** The message phases the summary has, in order. */
export function messagePhases(s: Summary): MessagePhase[] {
  return MESSAGE_PHASES.filter((p) => s.latency[p] !== undefined);
}

/** Share of the expected deliveries that never came (null when none were expected). */
export function lossRate(m: StreamMessages): number | null {
  const expected = m.lost + m.delivered - m.duplicated;
  return expected <= 0 ? null : m.lost / expected;
}

/**
 * The seconds the traffic ran: from the first second of the series in which a message was
 * published or delivered to the end of the last such second (the connect ramp before and
 * the drain after are not traffic); the whole run when there is no series to tell.
 */
export function trafficSeconds(s: Summary): number | null {
  const pts = s.series?.points.filter((p) => (p.published ?? 0) + (p.delivered ?? 0) > 0) ?? [];
  if (pts.length > 0) return pts.at(-1)!.t + s.series!.resolution - pts[0]!.t;
  const seconds = (Date.parse(s.run.ended) - Date.parse(s.run.started)) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/** Messages published per second of the traffic (trafficSeconds). */
export function publishRate(s: Summary, m: StreamMessages): number | null {
  const seconds = trafficSeconds(s);
  return seconds === null ? null : m.published / seconds;
}

/** All streams' counts added up (null without traffic). */
export function allStreams(s: Summary): StreamMessages | null {
  const list = Object.values(s.messages ?? {});
  if (list.length === 0) return null;
  const t: StreamMessages = {
    published: 0,
    acked: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    out_of_order: 0,
    late: 0,
    bytes: 0,
  };
  for (const m of list) for (const k of Object.keys(t) as (keyof StreamMessages)[]) t[k] = (t[k] ?? 0) + (m[k] ?? 0);
  return t;
}

/** Two lines per stream: what was sent (and acknowledged), then what arrived. */
export function messageRows(s: Summary): string[] {
  const streams = Object.entries(s.messages ?? {});
  if (streams.length === 0) return [];
  const width = Math.max(...streams.map(([name]) => name.length)) + 2;
  return streams.flatMap(([name, m]) => {
    const r = publishRate(s, m);
    const loss = lossRate(m);
    const sent = [
      `${int(m.published)} published`,
      `${r === null ? '-' : rateNumber(Math.round(r * 10) / 10)} msgs/s`,
      ...(m.unacked === undefined ? ['QoS 0'] : [`${int(m.acked)} acked`, `${int(m.unacked)} unacked`]),
      bytes(m.bytes),
    ];
    const received = [
      `${int(m.delivered)} delivered`,
      `${int(m.lost)} lost${loss === null || m.lost === 0 ? '' : ` (${percent(loss)})`}`,
      `${int(m.duplicated)} duplicated`,
      `${int(m.out_of_order)} out of order`,
      `${int(m.late)} late${(m.held_back ?? 0) > 0 ? ` (${int(m.held_back!)} held back by the broker)` : ''}`,
    ];
    return [`${pad(name, width)}${sent.join(' · ')}`, `${pad('', width)}${received.join(' · ')}`];
  });
}
