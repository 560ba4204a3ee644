import { describe, expect, it } from 'vitest';
import { parseThreshold, parseThresholds } from '../../src/judge/thresholds.js';

describe('parseThreshold', () => {
  it('reads the k6 forms', () => {
    const ok = (metric: string, expr: string) => {
      const p = parseThreshold(metric, expr);
      if (!p.ok) throw new Error(p.error);
      return p.value;
    };
    expect(ok('connect_duration', 'p(99) < 500ms')).toMatchObject({
      metric: 'connect_duration',
      aggregation: { kind: 'p', percentile: 99 },
      op: '<',
      value: 500,
    });
    expect(ok('connect', 'p(99.9)<=2s')).toMatchObject({
      metric: 'connect_duration',
      aggregation: { kind: 'p', percentile: 99.9 },
      op: '<=',
      value: 2000,
    });
    expect(ok('tls_duration', 'avg < 100')).toMatchObject({ aggregation: { kind: 'avg' }, value: 100 });
    expect(ok('tcp_duration', 'med != 1m')).toMatchObject({ aggregation: { kind: 'med' }, op: '!=', value: 60_000 });
    expect(ok('connack_duration', ' max >= 0.5 ')).toMatchObject({ expression: 'max >= 0.5', value: 0.5 });
    expect(ok('subscribe_duration', 'count > 0')).toMatchObject({ aggregation: { kind: 'count' }, op: '>', value: 0 });
    expect(ok('connect_failures', 'rate < 0.01')).toMatchObject({ aggregation: { kind: 'rate' }, value: 0.01 });
    expect(ok('connect_failures', 'rate < 1%')).toMatchObject({ value: 0.01 });
    expect(ok('unexpected_accepts', 'count == 0')).toMatchObject({ op: '==', value: 0 });
  });

  it.each([
    ['connect_duration', 'p(99) < 500 ms', /no spaces/],
    ['connect_duration', 'p(99) < 1e3ms', /exponent/],
    ['connect_duration', 'p(99) < -1s', /negative/],
    ['connect_duration', 'p(101) < 1s', /percentile must be/],
    ['connect_duration', 'p(abc) < 1s', /percentile must be/],
    ['connect_duration', 'p99 < 1s', /unknown aggregation "p99"/],
    ['connect_duration', 'rate < 0.1', /connect_duration has no rate/],
    ['connect_duration', 'p(99) = 1s', /use ==/],
    ['connect_duration', 'p(99) 1s', /expected an operator/],
    ['connect_duration', 'p(99) <', /missing value/],
    ['connect_duration', '< 5', /expected an aggregation/],
    ['connect_failures', 'rate < 5', /fraction between 0 and 1/],
    ['connect_failures', 'rate < 5ms', /expected a number/],
    ['connect_failures', 'p(99) < 1', /connect_failures has no p\(99\)/],
    ['unexpected_accepts', 'count == zero', /count is a plain number/],
    ['connect_failure', 'rate < 0.01', /did you mean connect_failures/],
  ])('%s: %j is rejected', (metric, expr, why) => {
    const p = parseThreshold(metric, expr);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error).toMatch(why);
  });
});

describe('parseThresholds', () => {
  it('returns every error at once, with metric and index', () => {
    const { thresholds, errors } = parseThresholds({
      connect_duration: ['p(99) < 500ms', 'p(50) < 5 0ms', 'avg < 1h'],
      conect_duration: ['p(99) < 1s'],
      connect_failures: 'rate < 0.01',
      unexpected_accepts: ['count == 0', 42],
      // an empty list is allowed: it turns the metric's default gates off
      tls_duration: [],
    });
    expect(thresholds.map((t) => `${t.metric} ${t.expression}`)).toEqual([
      'connect_duration p(99) < 500ms',
      'connect_duration avg < 1h',
      'connect_failures rate < 0.01',
      'unexpected_accepts count == 0',
    ]);
    expect(errors.map((e) => [e.metric, e.index])).toEqual([
      ['connect_duration', 1],
      ['conect_duration', null],
      ['unexpected_accepts', 1],
    ]);
    expect(errors[0]?.message).toMatch(/no spaces/);
    expect(errors[1]?.message).toMatch(/did you mean connect_duration/);
  });

  it('accepts nothing and rejects a non-mapping', () => {
    expect(parseThresholds(undefined)).toEqual({ thresholds: [], errors: [] });
    expect(parseThresholds(['p(99) < 1s']).errors).toHaveLength(1);
  });
});

describe('parseThresholdFlag', () => {
  it('splits metric:expression', async () => {
    const { parseThresholdFlag } = await import('../../src/judge/thresholds.js');
    const ok = parseThresholdFlag('connect_duration:p(99) < 500ms');
    expect(ok.ok && ok.value).toMatchObject({ metric: 'connect_duration', expression: 'p(99) < 500ms', value: 500 });
    const bad = parseThresholdFlag('p(99) < 500ms');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/expected metric:expression/);
  });
});
