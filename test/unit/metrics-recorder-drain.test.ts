import { describe, expect, it } from 'vitest';
import { Recorder, deltaTransferList } from '../../src/metrics/recorder.js';
import { Aggregator } from '../../src/metrics/aggregate.js';

describe('Recorder.drain', () => {
  it('returns the interval and starts a new one', () => {
    let now = 1_000;
    const r = new Recorder({ now: () => now });
    for (let i = 0; i < 5; i++) r.attempt();
    r.connected();
    r.connected();
    r.recordPhase('tcp', 800);
    r.recordPhase('connect', 12_000);
    r.failure('tls', 'tls_alert_unknown_ca');
    r.failure('tls', 'tls_alert_unknown_ca');
    r.rejectedAsExpected('expired', 'tcp', 'tcp_refused'); // never reached the broker: a failure
    r.rejectedAsExpected('expired', 'tls', 'tls_alert_certificate_expired');
    r.acceptedUnexpectedly('cn_mismatch');
    r.active(1);
    r.active(1);
    r.active(-1);
    r.dropped();
    now = 2_000;
    const d = r.drain();
    expect(d).toMatchObject({
      from: 1_000,
      to: 2_000,
      attempts: 5,
      connected: 2,
      dropped: 1,
      active: 1,
      activePeak: 2,
    });
    expect(d.failures).toEqual([
      ['tcp', 'tcp_refused', 1],
      ['tls', 'tls_alert_unknown_ca', 2],
    ]);
    expect(d.security).toEqual([
      {
        fault: 'expired',
        rejected: 1,
        accepted: 0,
        otherFailures: 1,
        reasons: [
          ['tcp_refused', 1],
          ['tls_alert_certificate_expired', 1],
        ],
      },
      { fault: 'cn_mismatch', rejected: 0, accepted: 1, otherFailures: 0, reasons: [] },
    ]);
    expect(Object.keys(d.phases).sort()).toEqual(['connect', 'tcp']);
    expect(d.phases.tcp?.total).toBe(1);
    expect(structuredClone(d)).toEqual(d);
    expect(deltaTransferList(d)).toHaveLength(2);

    now = 3_000;
    const next = r.drain();
    expect(next).toMatchObject({
      from: 2_000,
      to: 3_000,
      attempts: 0,
      connected: 0,
      dropped: 0,
      active: 1,
      activePeak: 1,
    });
    expect(next.failures).toEqual([]);
    expect(next.security).toEqual([]);
    expect(next.phases).toEqual({});
  });

  it('refuses a failure reason outside the closed list', () => {
    const r = new Recorder();
    expect(() => r.failure('tls', 'it broke')).toThrow(/closed list/);
    r.failure('connack', 'connack_not_authorized');
    r.failure('connack', 'connack_not_authorized');
    expect(r.drain().failures).toEqual([['connack', 'connack_not_authorized', 2]]);
  });
});

describe('Aggregator.ingest', () => {
  it('adds up workers, keeps the open connections per worker and their peak', () => {
    const t0 = 1_700_000_000_000;
    let now = t0;
    const agg = new Aggregator({ startedAt: t0, now: () => now });
    const w1 = new Recorder({ now: () => now });
    const w2 = new Recorder({ now: () => now });
    for (let i = 0; i < 10; i++) {
      w1.attempt();
      w1.connected();
      w1.active(1);
      w2.attempt();
    }
    w2.failure('tcp', 'tcp_refused');
    w2.failure('tls', 'tls_alert_unknown_ca');
    w2.failure('tls', 'tls_alert_unknown_ca');
    w2.rejectedAsExpected('revoked', 'tls', 'tls_alert_certificate_revoked');
    w2.acceptedUnexpectedly('wrong_ca');
    now += 1_000;
    agg.ingest(w1.drain(), 1);
    agg.ingest(w2.drain(), 2);
    for (let i = 0; i < 4; i++) w1.active(-1);
    now += 1_000;
    agg.ingest(w1.drain(), 1);

    expect(agg.counts()).toEqual({
      attempted: 20,
      connected: 10,
      failed: 3,
      rejected_as_expected: 1,
      accepted_unexpectedly: 1,
      active_peak: 10,
      dropped: 0,
      session_drops: 0,
    });
    expect(agg.active).toBe(6);
    expect(agg.failures()).toEqual([
      { phase: 'tls', reason: 'tls_alert_unknown_ca', count: 2 },
      { phase: 'tcp', reason: 'tcp_refused', count: 1 },
    ]);
    expect(agg.security()).toEqual([
      { fault: 'wrong_ca', expected_rejections: 1, rejected: 0, accepted: 1, reasons: {} },
      {
        fault: 'revoked',
        expected_rejections: 1,
        rejected: 1,
        accepted: 0,
        reasons: { tls_alert_certificate_revoked: 1 },
      },
    ]);
    const snap = agg.snapshot(now);
    expect(snap).toMatchObject({
      elapsed: 2,
      attempted: 20,
      connected: 10,
      active: 6,
      activePeak: 10,
      acceptedUnexpectedly: 1,
    });
    expect(snap.connectRate).toBe(5);
    expect(snap.unexpectedByFault).toEqual({ wrong_ca: 1 });
    // a held connection the broker closes: among the failures by reason, not a failed attempt
    w1.dropped();
    w1.failure('session', 'tcp_reset');
    agg.ingest(w1.drain(), 1);
    expect(agg.counts()).toMatchObject({ failed: 3, dropped: 1, session_drops: 1 });
    expect(agg.failures()).toContainEqual({ phase: 'session', reason: 'tcp_reset', count: 1 });
  });

  it('reports the connect rate over the last whole seconds', () => {
    const t0 = 1_700_000_000_000;
    const agg = new Aggregator({ startedAt: t0 });
    const w = new Recorder();
    for (let s = 1; s <= 20; s++) {
      for (let i = 0; i < (s <= 10 ? 100 : 300); i++) w.connected();
      const d = w.drain();
      agg.ingest({ ...d, to: t0 + s * 1000 }, 0);
    }
    expect(agg.snapshot(t0 + 20_500).connectRate).toBe(300);
  });
});

describe('faulty devices failing on their own side', () => {
  it('are not counted as rejected: the broker never judged the credential', () => {
    const r = new Recorder();
    r.rejectedAsExpected('expired', 'tls', 'tls_server_untrusted');
    r.rejectedAsExpected('revoked', 'tls', 'tls_alert_certificate_revoked');
    const d = r.drain();
    expect(d.security.find((x) => x.fault === 'expired')).toMatchObject({ rejected: 0, otherFailures: 1 });
    expect(d.security.find((x) => x.fault === 'revoked')).toMatchObject({ rejected: 1, otherFailures: 0 });
    expect(d.failures).toEqual([['tls', 'tls_server_untrusted', 1]]);
  });
});
