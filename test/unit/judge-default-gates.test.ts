import { describe, it, expect } from 'vitest';
import { DEFAULT_GATES, runThresholds } from '../../src/judge/gates.js';
import { evaluate } from '../../src/judge/thresholds.js';
import type { Summary } from '../../src/model/summary.js';

const counts = (c: Partial<Summary['counts']>): Summary['counts'] => ({
  attempted: 0,
  connected: 0,
  failed: 0,
  rejected_as_expected: 0,
  accepted_unexpectedly: 0,
  active_peak: 0,
  dropped: 0,
  session_drops: 0,
  ...c,
});

/** The default gates' results on a run with these counts (no histogram is read by them). */
function judged(c: Partial<Summary['counts']>, user: Record<string, string[]> = {}): Record<string, boolean> {
  const { thresholds } = runThresholds(user, { defaults: true });
  const results = evaluate(thresholds, { counts: counts(c), latency: {} as Summary['latency'] });
  return Object.fromEntries(results.map((r) => [`${r.metric} ${r.expression}${r.default ? ' (default)' : ''}`, r.ok]));
}

describe('default gates', () => {
  it('hold a run that set no threshold to: something connected, ≤1% failed, ≤1% of sessions dropped', () => {
    expect(Object.keys(DEFAULT_GATES).sort()).toEqual(['connect_failures', 'connected', 'session_drops']);
    expect(judged({ attempted: 100, connected: 100 })).toEqual({
      'connected count > 0 (default)': true,
      'connect_failures rate <= 0.01 (default)': true,
      'session_drops rate <= 0.01 (default)': true,
    });
    // the broker accepted nothing
    expect(judged({ attempted: 10, failed: 10 })).toMatchObject({
      'connected count > 0 (default)': false,
      'connect_failures rate <= 0.01 (default)': false,
    });
    // 55% of the connects failed; every session closed after CONNACK
    expect(judged({ attempted: 100, connected: 45, failed: 55 })['connect_failures rate <= 0.01 (default)']).toBe(
      false,
    );
    expect(judged({ attempted: 10, connected: 10, session_drops: 10 })['session_drops rate <= 0.01 (default)']).toBe(
      false,
    );
    // faulty devices rejected as expected are not failures
    expect(judged({ attempted: 110, connected: 100, rejected_as_expected: 10 })).not.toContain(false);
  });

  it('give way, metric by metric, to the thresholds a scenario or flag sets; an empty list turns one off', () => {
    const r = judged(
      { attempted: 100, connected: 95, failed: 5, session_drops: 50 },
      {
        connect_failures: ['rate < 0.1'],
        session_drops: [],
      },
    );
    expect(r).toEqual({ 'connected count > 0 (default)': true, 'connect_failures rate < 0.1': true });
  });

  it('are gone with defaults off, and an executor may adjust them', () => {
    expect(runThresholds({}, { defaults: false }).thresholds).toEqual([]);
    const adjusted = runThresholds({}, { defaults: true, executor: { session_drops: [], connected: ['count >= 2'] } });
    expect(adjusted.thresholds.map((t) => `${t.metric} ${t.expression}`)).toEqual([
      'connected count >= 2',
      'connect_failures rate <= 0.01',
    ]);
    expect(adjusted.thresholds.every((t) => t.default === true)).toBe(true);
  });

  it('with traffic that expects deliveries, also hold it to ≤1% of them lost (absent otherwise)', () => {
    const stream = (delivered: number, lost: number) => ({
      telemetry: { published: 1000, acked: 1000, delivered, lost, duplicated: 0, out_of_order: 0, late: 0, bytes: 0 },
    });
    const loss = (messages: Summary['messages']) => {
      const { thresholds } = runThresholds({}, { defaults: true, deliveries: true });
      const c = counts({ attempted: 10, connected: 10 });
      return evaluate(thresholds, { counts: c, latency: {} as Summary['latency'], messages }).find(
        (r) => r.metric === 'message_loss',
      );
    };
    expect(loss(stream(1000, 0))).toMatchObject({ expression: 'rate <= 0.01', ok: true, default: true });
    expect(loss(stream(995, 5))?.ok).toBe(true);
    expect(loss(stream(0, 1000))?.ok).toBe(false); // every message lost: not a pass
    expect(runThresholds({}, { defaults: true }).thresholds.map((t) => t.metric)).not.toContain('message_loss');
    expect(
      runThresholds({ message_loss: [] }, { defaults: true, deliveries: true }).thresholds.map((t) => t.metric),
    ).not.toContain('message_loss');
  });
});
