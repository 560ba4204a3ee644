/**
 * The message search's pieces without a broker: a fleet aligned on one instant spreads its
 * first messages evenly over an interval; a step at a rate schedules whole messages per
 * device and holds every device long enough for its last one; the default SLOs follow what
 * the stream lets us measure; the findings of a step that broke speak messages/s.
 */
import { describe, expect, it } from 'vitest';
import { fleetPhase, publishes } from '../../src/traffic/schedule.js';
import { defaultMessageSlo, messageStepRun, type MessagePlan } from '../../src/capacity/messages.js';
import { explainCapacity } from '../../src/capacity/explain.js';
import type { TelemetryConfig } from '../../src/traffic/telemetry.js';
import type { CapacityStep } from '../../src/model/capacity.js';

const stream: TelemetryConfig = {
  kind: 'telemetry',
  name: 'telemetry',
  topic: 'devices/{id}/telemetry',
  everyMs: 1000,
  rate: undefined,
  jitter: { kind: 'none' },
  payload: { kind: 'size', min: 64, max: 64 },
  qos: 1,
  retain: false,
  count: undefined,
  startDelayMs: 0,
  share: 1,
  properties: {},
};
const plan: MessagePlan = { index: 0, stream, devices: 20, connectRate: 200, publishing: 20, subscribers: 1 };

describe('message search', () => {
  it('fleetPhase: any number of devices, or a share of them, spreads over the whole interval', () => {
    for (const [n, share] of [
      [20, 1],
      [1000, 1],
      [1000, 0.3],
    ] as const) {
      const phases = [...Array(n).keys()].filter((i) => publishes(i, share)).map((i) => fleetPhase(i, share));
      expect(phases.every((p) => p >= 0 && p < 1)).toBe(true);
      // every tenth of the interval gets its share of first messages (within one device of even)
      const bins = Array<number>(10).fill(0);
      for (const p of phases) bins[Math.floor(p * 10)]!++;
      const even = phases.length / 10;
      for (const b of bins) expect(Math.abs(b - even)).toBeLessThanOrEqual(Math.max(2, even * 0.1));
    }
  });

  it('a step: whole messages per device at the rate, the fleet aligned after it connected, holds that cover the last message', () => {
    const now = 1_000_000;
    const r = messageStepRun(plan, [stream], 50, 1000, { expectedMs: 1500, floorMs: 400 }, now);
    // 50/s × 1 s over 20 devices: 2.5 each, rounded up to 3 → 60 messages over 1.2 s
    expect([r.perDevice, r.scheduled, r.durationMs]).toEqual([3, 60, 1200]);
    const t = r.traffic[0] as TelemetryConfig;
    expect(t).toMatchObject({ rate: 50, everyMs: undefined, count: 3, startDelayMs: 0 });
    // after the run's start-up (1.5 s expected), the fleet's connects (20 at 200/s) and a margin
    expect(t.alignAtMs).toBe(now + 1500 + 100 + 500);
    // a device that connected as early as possible (now + floor) still sends its last message
    expect(now + 400 + r.holdMs).toBeGreaterThanOrEqual(t.alignAtMs! + r.durationMs);
    expect(r.load).toMatchObject({ executor: 'arrival-rate', rate: 200 });
  });

  it('default SLOs: delivery and loss with subscribers, acks at QoS 1/2', () => {
    expect(defaultMessageSlo(plan)).toEqual({
      delivery_duration: ['p(99) < 500ms'],
      message_loss: ['rate < 0.001'],
      publish_ack_duration: ['p(99) < 500ms'],
    });
    expect(defaultMessageSlo({ ...plan, subscribers: 0 })).toEqual({ publish_ack_duration: ['p(99) < 500ms'] });
    expect(defaultMessageSlo({ ...plan, stream: { ...stream, qos: 0 } })).toEqual({
      delivery_duration: ['p(99) < 500ms'],
      message_loss: ['rate < 0.001'],
    });
  });

  it('a knee explained in messages/s: lost deliveries and the latency that grew', () => {
    const step = (rate: number, ok: boolean, lost: number, p99: number): CapacityStep => ({
      rate,
      achieved: rate,
      p50: 2,
      p99,
      failed: 0,
      kind: 'ramp',
      ok,
      duration_ms: 3000,
      broke: ok ? [] : ['message_loss rate < 0.001: rate=2%'],
      messages: {
        stream: 'telemetry',
        scheduled: rate * 3,
        published: rate * 3,
        acked: rate * 3,
        delivered: rate * 3 - lost,
        expected_deliveries: rate * 3,
        lost,
        duplicated: 0,
        late: 0,
        latency: 'delivery',
      },
      attempted: 20,
      connected: 20,
      failures: {},
      saturated: false,
      saturation_reasons: [],
      phases_p99: { tcp: 1, tls: 2, connack: 1, subscribe: null },
      broker_cpu: null,
      host_cpu: null,
      generator_cpu: 0.1,
    });
    const steps = [step(400, true, 0, 20), step(800, false, 48, 300)];
    const x = explainCapacity({
      result: { maxRate: 400, ceiling: 800, limitedBy: 'slo', confirmed: false, atLeast: false },
      steps,
      config: {
        key: 'p256',
        tls_min_version: null,
        tls_max_version: null,
        mqtt: '5',
        in_flight: 100,
        hold_ms: 0,
        workers: 1,
        target: 'mqtts://127.0.0.1:1',
        broker: null,
      },
      maxRateAllowed: 100_000,
      budgetMs: 60_000,
      unit: 'messages/s',
    });
    expect(x.reason).toBe('400 messages/s held; at 800 messages/s message_loss rate < 0.001: rate=2%');
    expect(x.findings.map((f) => f.kind)).toEqual(['loss', 'latency', 'budget']);
    expect(x.findings[0]!.text).toMatch(
      /^2\.00% of the deliveries expected were lost at 800 messages\/s \(48 of 2400\)/,
    );
    expect(x.findings[1]!.text).toMatch(/p99 was 300ms at 800 messages\/s \(20ms at 400 messages\/s\)/);
  });
});
