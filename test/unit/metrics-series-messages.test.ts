import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { LIVE_LOSS_GRACE_MS } from '../../src/metrics/messages.js';
import { mergeSeries } from '../../src/metrics/series.js';
import { parseSummary, summaryToJson } from '../../src/report/json/index.js';
import { T0, telemetryAndCommands, trafficSummary } from '../helpers/traffic.js';

const sum = (xs: readonly (number | undefined)[]): number => xs.reduce<number>((a, x) => a + (x ?? 0), 0);

describe('message points of the time series', () => {
  it('carry published, delivered, late and lost per second, adding up to the summary', () => {
    const s = telemetryAndCommands();
    const points = s.series!.points;
    const m = s.messages!;
    expect(points.every((p) => p.published !== undefined && p.lost !== undefined)).toBe(true);
    expect(sum(points.map((p) => p.published))).toBe(m.telemetry!.published + m.commands!.published);
    expect(sum(points.map((p) => p.delivered))).toBe(m.telemetry!.delivered + m.commands!.delivered);
    // 5 of 500 telemetry messages never arrived: the run is shorter than the live grace, so
    // the loss lands in the point where the run ended
    expect(m.telemetry!.lost).toBe(5);
    expect(sum(points.map((p) => p.lost))).toBe(5);
    expect(points.at(-1)!.lost).toBe(5);
    // 60 messages every second
    expect(points.filter((p) => p.published === 60)).toHaveLength(10);
  });

  it('count late messages in the second they were sent', () => {
    const s = trafficSummary({
      seconds: 4,
      streams: [{ name: 't', qos: 0, receivers: 0, perSecond: 10, late: (k) => k >= 20 && k < 25 }],
    });
    // the third second's delta (messages 20–29) ends 3 s after the start
    expect(s.series!.points.map((p) => [p.t, p.late])).toEqual([
      [1, 0],
      [2, 0],
      [3, 5],
      [4, 0],
    ]);
    expect(s.messages!.t!.late).toBe(5);
  });

  it('count loss live once a message is older than the grace, not again at the end', () => {
    let clock = T0;
    const agg = new Aggregator({ startedAt: T0, now: () => clock, streams: [{ name: 't', qos: 1, receivers: 1 }] });
    const rec = new Recorder({ now: () => clock });
    const graceS = LIVE_LOSS_GRACE_MS / 1000;
    for (let sec = 1; sec <= graceS + 10; sec++) {
      // 10 a second for the first 5 seconds, one of each second's never delivered
      if (sec <= 5)
        for (let k = 0; k < 10; k++) {
          rec.messages.published(0, 10, false);
          if (k !== 0) rec.messages.delivered(0, 10, 1000, 'new');
        }
      clock = T0 + sec * 1000;
      agg.ingest({ ...rec.drain(), to: clock }, 0);
    }
    agg.messages.end();
    const points = agg.series().points;
    expect(sum(points.map((p) => p.lost))).toBe(5);
    // counted as a message passed the grace, never before
    const first = points.findIndex((p) => (p.lost ?? 0) > 0);
    expect(points[first]!.t).toBeGreaterThan(graceS);
    expect(points.slice(0, first).every((p) => p.lost === 0)).toBe(true);
  });

  it('are absent from a run without traffic', () => {
    const agg = new Aggregator({ startedAt: T0, now: () => T0 + 2000 });
    const rec = new Recorder({ now: () => T0 + 1000 });
    rec.attempt();
    rec.connected();
    agg.ingest(rec.drain(), 0);
    const p = agg.series().points[0]!;
    expect(p).not.toHaveProperty('published');
    expect(p).not.toHaveProperty('lost');
    expect(agg.snapshot().messages).toBeUndefined();
  });

  it('add up when downsampled and when shards merge, and round-trip through summary.json', () => {
    const a = telemetryAndCommands();
    const b = telemetryAndCommands({ id: 'traffic-2' });
    const merged = mergeSeries([a.series!, b.series!], 4)!;
    expect(merged.resolution).toBeGreaterThan(1);
    expect(sum(merged.points.map((p) => p.published))).toBe(2 * sum(a.series!.points.map((p) => p.published)));
    expect(sum(merged.points.map((p) => p.lost))).toBe(10);
    const back = parseSummary(summaryToJson(a), 'summary.json');
    expect(back.series!.points).toEqual(a.series!.points);
  });

  it('give the live line its message rates', () => {
    let clock = T0;
    const agg = new Aggregator({ startedAt: T0, now: () => clock, streams: [{ name: 't', qos: 0, receivers: 1 }] });
    const rec = new Recorder({ now: () => clock });
    for (let sec = 1; sec <= 12; sec++) {
      for (let k = 0; k < 40; k++) rec.messages.published(0, 10, false);
      for (let k = 0; k < 20; k++) rec.messages.delivered(0, 10, 1000, 'new');
      clock = T0 + sec * 1000 + 1;
      agg.ingest({ ...rec.drain(), to: clock }, 0);
    }
    expect(agg.snapshot().messages).toEqual({ published: 480, delivered: 240, publishRate: 40, deliveryRate: 20 });
  });
});
