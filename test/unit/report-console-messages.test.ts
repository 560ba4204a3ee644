/**
 * The traffic's part of the console: a Messages block per stream and the message phases in
 * the latency table, msgs/s on the live line; a run without traffic prints as before.
 */
import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { progressLine, renderSummary } from '../../src/report/console/index.js';
import { summaryOf } from '../helpers/summaries.js';
import { T0, telemetryAndCommands } from '../helpers/traffic.js';

const THRESHOLDS = { delivery_duration: ['p(99) < 200ms'], message_loss: ['rate < 0.0001'] };

describe('console summary with traffic', () => {
  const s = telemetryAndCommands({ thresholds: THRESHOLDS });
  const text = renderSummary(s, { ascii: true });
  const lines = text.split('\n');

  it('has a Messages block: two lines per stream with every count, bytes and msgs/s', () => {
    const at = lines.findIndex((l) => l.startsWith('  messages '));
    expect(at).toBeGreaterThan(0);
    const block = lines.slice(at, at + 4).join('\n');
    const t = s.messages!.telemetry!;
    expect(t).toMatchObject({ published: 500, acked: 499, unacked: 1, lost: 5, duplicated: 1, delivered: 496 });
    // msgs/s per second of traffic: its 10 s, not the whole run
    expect(lines[at]).toMatch(/telemetry\s+500 published · 50 msgs\/s · 499 acked · 1 unacked · 125\.0 KiB$/);
    expect(lines[at + 1]).toMatch(/^\s+496 delivered · 5 lost \(1\.00%\) · 1 duplicated · 0 out of order · 0 late$/);
    expect(block).toMatch(/commands\s+100 published · 10 msgs\/s · 100 acked · 0 unacked/);
    expect(block).toContain('100 delivered · 0 lost ·');
  });

  it('puts the message phases in the latency table with their counts and percentiles', () => {
    const row = (label: string): string[] =>
      lines
        .find((l) => l.startsWith(`  ${label}`))!
        .trim()
        .split(/\s{2,}/);
    const ack = row('publish → ack');
    expect(ack[1]).toBe(String(s.latency.publish_ack!.count));
    expect(Number(ack[4])).toBeCloseTo(s.latency.publish_ack!.p99, 1);
    expect(row('delivery')[1]).toBe(String(s.latency.delivery!.count));
    expect(row('command rtt')[1]).toBe('100');
    expect(Number(row('command rtt')[4])).toBeCloseTo(s.latency.command_rtt!.p99, 1);
  });

  it('shows the message thresholds like the others', () => {
    expect(text).toMatch(/OK\s+delivery_duration\s+p\(99\) < 200ms\s+p\(99\)=/);
    expect(text).toMatch(/FAIL message_loss\s+rate < 0.0001\s+rate=0\.83%/);
  });

  it('prints nothing of it for a run without traffic', () => {
    const plain = renderSummary(summaryOf({ n: 50, every: 10 }));
    expect(plain).not.toMatch(/messages|publish → ack|delivery|command rtt|msgs\/s/);
  });
});

describe('live line with traffic', () => {
  it('shows msgs/s and deliveries/s when the run has streams, not otherwise', () => {
    let clock = T0;
    const agg = new Aggregator({ startedAt: T0, now: () => clock, streams: [{ name: 't', qos: 1, receivers: 1 }] });
    const plain = new Aggregator({ startedAt: T0, now: () => clock });
    const rec = new Recorder({ now: () => clock });
    for (let sec = 1; sec <= 10; sec++) {
      rec.attempt();
      rec.connected();
      for (let k = 0; k < 300; k++) rec.messages.published(0, 64, false);
      for (let k = 0; k < 290; k++) rec.messages.delivered(0, 64, 2000, 'new');
      clock = T0 + sec * 1000 + 1;
      const d = rec.drain();
      agg.ingest({ ...d, to: clock }, 0);
      plain.ingest({ ...d, to: clock, messages: null }, 0);
    }
    expect(progressLine(agg.snapshot())).toContain('  300 msgs/s  delivered 290/s');
    expect(progressLine(plain.snapshot())).not.toContain('msgs/s');
  });
});
