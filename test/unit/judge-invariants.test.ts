import { describe, it, expect } from 'vitest';
import { countProblems } from '../../src/judge/invariants.js';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import type { Summary } from '../../src/model/summary.js';

/** The parts of a summary the invariants read, from what a worker recorded. */
function summaryOf(record: (r: Recorder) => void, interrupted = false): Summary {
  const r = new Recorder();
  record(r);
  const agg = new Aggregator();
  agg.ingest(r.drain(), 0);
  return {
    run: { interrupted },
    counts: agg.counts(),
    failures: agg.failures(),
    security: agg.security(),
    latency: agg.latency(),
  } as Summary;
}

const connectOne = (r: Recorder): void => {
  r.attempt();
  r.recordPhase('connack', 2000);
  r.recordPhase('connect', 9000);
  r.connected();
};

describe('summary count invariants', () => {
  it('hold for what the recorder and the aggregator count', () => {
    const s = summaryOf((r) => {
      for (let i = 0; i < 3; i++) connectOne(r);
      r.active(1);
      r.active(1);
      r.attempt();
      r.failure('tcp', 'tcp_refused');
      r.attempt();
      r.rejectedAsExpected('revoked', 'tls', 'tls_alert_certificate_revoked');
      r.attempt();
      r.recordPhase('connack', 1500);
      r.acceptedUnexpectedly('expired');
      r.failure('session', 'tcp_reset'); // a held session the broker reset
      r.dropped();
    });
    expect(countProblems(s)).toEqual([]);
  });

  it('name what does not add up', () => {
    const s = summaryOf((r) => {
      connectOne(r);
      r.attempt(); // neither connected nor failed
    });
    expect(countProblems(s)).toEqual([
      '1 of 2 attempts neither connected nor failed, in a run that was not interrupted',
    ]);
    // an interrupted run may stop with attempts in flight
    expect(countProblems({ ...s, run: { ...s.run, interrupted: true } })).toEqual([]);
    const broken = { ...s, counts: { ...s.counts, failed: 2, active_peak: 5 } };
    expect(countProblems(broken)).toEqual(
      expect.arrayContaining([
        'failed is 2, the failures by reason add up to 0',
        'active peak 5 outside 0..1 (the connections established)',
      ]),
    );
  });
});
