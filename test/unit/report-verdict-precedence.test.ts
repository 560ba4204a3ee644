import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { decideVerdict, exitCodeFor, type VerdictInput } from '../../src/judge/verdict.js';

const input = (o: {
  accepted?: number;
  saturated?: boolean;
  failedThreshold?: boolean;
  noData?: boolean;
}): VerdictInput => ({
  counts: { accepted_unexpectedly: o.accepted ?? 0 },
  security: o.accepted
    ? [{ fault: 'expired', expected_rejections: 10, rejected: 10 - o.accepted, accepted: o.accepted, reasons: {} }]
    : [],
  generator: { saturated: o.saturated ?? false, saturation_reasons: o.saturated ? ['event-loop lag p99 250ms'] : [] },
  thresholds: [
    { metric: 'connect_duration', expression: 'p(99) < 500ms', ok: !o.failedThreshold, value: o.noData ? null : 612 },
    { metric: 'connect_failures', expression: 'rate < 0.01', ok: true, value: 0 },
  ],
});

describe('verdict precedence', () => {
  it.each([
    [{ accepted: 2, saturated: true, failedThreshold: true }, 'insecure', 98],
    [{ accepted: 1 }, 'insecure', 98],
    [{ saturated: true, failedThreshold: true }, 'inconclusive', 97],
    [{ saturated: true }, 'inconclusive', 97],
    [{ failedThreshold: true }, 'fail', 99],
    [{}, 'pass', 0],
  ] as const)('%j → %s (%i)', (o, verdict, code) => {
    const d = decideVerdict(input(o));
    expect(d.verdict).toBe(verdict);
    expect(d.exitCode).toBe(code);
    expect(exitCodeFor(verdict)).toBe(code);
  });

  it('says why in words', () => {
    expect(decideVerdict(input({ accepted: 2 })).reason).toBe(
      'the broker accepted 2 faulty credentials it must reject (expired 2)',
    );
    expect(decideVerdict(input({ saturated: true })).reason).toMatch(
      /generator was saturated.*event-loop lag p99 250ms/,
    );
    expect(decideVerdict(input({ failedThreshold: true })).reason).toBe(
      '1 of 2 thresholds failed: connect_duration p(99) < 500ms',
    );
    expect(decideVerdict(input({ failedThreshold: true, noData: true })).reason).toMatch(/p\(99\) < 500ms \(no data\)/);
    expect(decideVerdict(input({})).reason).toBe('all 2 thresholds held');
    expect(decideVerdict({ ...input({}), thresholds: [] }).reason).toMatch(/no thresholds set/);
  });

  it('uses the contract exit codes', () => {
    expect([exitCodeFor('pass'), exitCodeFor('inconclusive'), exitCodeFor('insecure'), exitCodeFor('fail')]).toEqual([
      ExitCode.ok,
      ExitCode.inconclusive,
      ExitCode.insecure,
      ExitCode.thresholdFailed,
    ]);
  });
});
