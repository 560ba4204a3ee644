import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { evaluate, parseThresholds } from '../../src/judge/thresholds.js';

/** connect latencies of exactly 1 ms … 1000 ms, 990 connected, 10 failed, 20 faulty rejected, 1 accepted */
function data() {
  const r = new Recorder();
  for (let ms = 1; ms <= 1000; ms++) r.recordPhase('connect', ms * 1000);
  for (let i = 0; i < 1000; i++) r.recordPhase('tcp', 250);
  for (let i = 0; i < 990; i++) r.connected();
  for (let i = 0; i < 10; i++) r.failure('tls', 'tls_timeout');
  for (let i = 0; i < 20; i++) r.rejectedAsExpected('expired', 'tls', 'tls_alert_certificate_expired');
  r.acceptedUnexpectedly('no_cert');
  const agg = new Aggregator();
  agg.ingest(r.drain(), 0);
  return { latency: agg.latency(), counts: agg.counts() };
}

function run(spec: Record<string, string[]>) {
  const { thresholds, errors } = parseThresholds(spec);
  expect(errors).toEqual([]);
  return evaluate(thresholds, data());
}

describe('evaluate', () => {
  it('computes exact percentiles and aggregates from the merged histograms', () => {
    const results = run({
      connect_duration: [
        'p(99) < 995ms',
        'p(99) < 985ms',
        'p(50) <= 500.5',
        'med > 499ms',
        'avg < 501',
        'min == 1',
        'max < 1001ms',
        'count == 1000',
      ],
      tcp_duration: ['p(99.9) < 1ms', 'max < 250us'],
      subscribe_duration: ['p(99) < 1s', 'count == 0'],
    });
    expect(results.map((r) => [r.expression, r.ok, r.value])).toEqual([
      ['p(99) < 995ms', true, 990.207],
      ['p(99) < 985ms', false, 990.207],
      ['p(50) <= 500.5', true, 500.223],
      ['med > 499ms', true, 500.223],
      ['avg < 501', true, expect.closeTo(500.5, 0)],
      ['min == 1', true, 1],
      ['max < 1001ms', true, 1000.447],
      ['count == 1000', true, 1000],
      ['p(99.9) < 1ms', true, 0.25],
      ['max < 250us', false, 0.25],
      ['p(99) < 1s', false, null],
      ['count == 0', true, 0],
    ]);
  });

  it('computes the failure and unexpected-accept rates and counts', () => {
    const results = run({
      connect_failures: ['rate < 0.01', 'rate <= 1%', 'count < 10'],
      unexpected_accepts: ['count == 0', 'rate < 5%'],
    });
    expect(results.map((r) => [r.metric, r.expression, r.ok, r.value])).toEqual([
      ['connect_failures', 'rate < 0.01', false, 0.01],
      ['connect_failures', 'rate <= 1%', true, 0.01],
      ['connect_failures', 'count < 10', false, 10],
      ['unexpected_accepts', 'count == 0', false, 1],
      ['unexpected_accepts', 'rate < 5%', true, 1 / 21],
    ]);
  });

  it('fails a rate with nothing to divide', () => {
    const agg = new Aggregator();
    const { thresholds } = parseThresholds({ connect_failures: ['rate < 0.01'], unexpected_accepts: ['rate == 0'] });
    expect(evaluate(thresholds, { latency: agg.latency(), counts: agg.counts() }).map((r) => [r.ok, r.value])).toEqual([
      [false, null],
      [false, null],
    ]);
  });
});
