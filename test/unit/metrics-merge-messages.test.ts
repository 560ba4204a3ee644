/**
 * Shard summaries with traffic merge exactly: message counts add up per stream, the message
 * latency phases are the histograms of one run that saw every message (so percentiles and
 * thresholds on them are exact), and the series' message points add up.
 */
import { describe, expect, it } from 'vitest';
import { decodeHistogram } from '../../src/metrics/hdr.js';
import { MessageRecorder, MessageTotals, summarizeMessages } from '../../src/metrics/messages.js';
import { mergeMessageLatency, mergeMessages } from '../../src/metrics/merge.js';
import { mergeSummaries } from '../../src/run/merge.js';
import { MESSAGE_PHASES } from '../../src/model/messages.js';
import type { Summary, WithSeries } from '../../src/model/summary.js';
import { T0, trafficSummary, type StreamSpec } from '../helpers/traffic.js';

const SHARDS = 3;
const SECONDS = 6;

/** Shard j's streams: its own rates, latencies (skewed differently per shard) and losses. */
function streams(j: number): StreamSpec[] {
  return [
    {
      name: 'telemetry',
      qos: 1,
      receivers: 2,
      perSecond: 40 + 10 * j,
      ackMicros: (k) => 1000 + ((k * 131 + j * 977) % 5000) * (j + 1),
      deliveryMicros: (k) => 3000 + ((k * 7919 + j * 104_729) % 20_000) * (j + 1),
      lose: (k) => (k + j) % 37 === 0,
      duplicate: (k) => k % 101 === j,
      unacked: (k) => k === j,
    },
    { name: 'commands', qos: 2, receivers: 1, perSecond: 5 + j, commands: true },
  ];
}

function shard(j: number): WithSeries<Summary> {
  const s = trafficSummary({ id: 'run-m', devices: 10, seconds: SECONDS, streams: streams(j), startedAt: T0 + j });
  s.run.shard = { index: j, count: SHARDS, first: j * 10, last: j * 10 + 9 };
  return s;
}

/** What one run that saw every shard's messages would have: one recorder, one set of totals. */
function oneRun(): ReturnType<typeof summarizeMessages> {
  const totals = new MessageTotals();
  for (let j = 0; j < SHARDS; j++) {
    const m = new MessageRecorder();
    streams(j).forEach((s, si) => {
      for (let n = 0; n < s.perSecond * SECONDS; n++) {
        m.published(si, s.bytes ?? 64, false);
        if (!(s.unacked?.(n) ?? false)) m.acked(si, s.qos, s.ackMicros?.(n) ?? 2000 + (n % 50) * 40);
        if (s.lose?.(n) ?? false) continue;
        const micros = s.deliveryMicros?.(n) ?? 4000 + (n % 97) * 60;
        for (let x = 0; x < s.receivers; x++) m.delivered(si, s.bytes ?? 64, micros, 'new');
        if (s.duplicate?.(n) ?? false) m.delivered(si, s.bytes ?? 64, micros, 'duplicate');
        if (s.commands === true) m.commandRtt(micros + 1500);
      }
    });
    totals.ingest(m.drain());
  }
  totals.end();
  return summarizeMessages(totals, [
    { name: 'telemetry', qos: 1, receivers: 2 },
    { name: 'commands', qos: 2, receivers: 1 },
  ]);
}

describe('merging shards with traffic', () => {
  const shards = [0, 1, 2].map(shard);
  const whole = oneRun();

  it('adds every stream’s counts exactly', () => {
    expect(mergeMessages(shards)).toEqual(whole.messages);
    expect(whole.messages.telemetry!.lost).toBeGreaterThan(0);
    expect(whole.messages.telemetry!.unacked).toBe(3);
  });

  it('merges the message latency phases into the histograms of one run', () => {
    const merged = mergeMessageLatency(shards);
    expect(Object.keys(merged)).toEqual([...MESSAGE_PHASES]);
    for (const p of MESSAGE_PHASES) {
      const { hdr: _m, ...stats } = merged[p]!;
      const { hdr: _w, ...expected } = whole.latency[p]!;
      expect(stats, p).toEqual(expected);
      const a = decodeHistogram(merged[p]!.hdr);
      const b = decodeHistogram(whole.latency[p]!.hdr);
      expect(a.totalCount, p).toBe(b.totalCount);
      for (const q of [50, 90, 99, 99.9, 100])
        expect(a.getValueAtPercentile(q), `${p} p${q}`).toBe(b.getValueAtPercentile(q));
    }
  });

  it('gives the merged summary the same figures, the thresholds decided on them, and the series adds up', () => {
    const withGate = shards.map((s) => ({
      ...s,
      thresholds: [{ metric: 'delivery_duration', expression: 'p(99) < 50ms', ok: true, value: 1 }],
    }));
    const merged = mergeSummaries(withGate);
    expect(merged.messages).toEqual(whole.messages);
    expect(merged.latency.delivery!.p99).toBe(whole.latency.delivery!.p99);
    const gate = merged.thresholds.find((t) => t.metric === 'delivery_duration')!;
    expect(gate.value).toBe(whole.latency.delivery!.p99);
    expect(gate.ok).toBe(whole.latency.delivery!.p99 < 50);
    const published = (s: WithSeries<Summary>): number => s.series!.points.reduce((a, p) => a + (p.published ?? 0), 0);
    expect(published(merged)).toBe(shards.reduce((a, s) => a + published(s), 0));
    expect(merged.series!.points.reduce((a, p) => a + (p.lost ?? 0), 0)).toBe(
      whole.messages.telemetry!.lost + whole.messages.commands!.lost,
    );
  });
});
