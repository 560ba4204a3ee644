import { describe, it, expect } from 'vitest';
import { faultCode, faultOfCode, parseFaults, type FaultShares } from '../../src/pki/faults.js';
import { exactFaultCounts, FaultSpread } from '../../src/pki/fault-spread.js';
import { FAULTS } from '../../src/model/names.js';
import { UsageError } from '../../src/errors.js';

describe('fault shares', () => {
  it('parses NAME=PERCENT% lists into fractions', () => {
    expect(parseFaults('expired=1%, revoked=0.5%,wrong_eku=10%')).toEqual({
      expired: 0.01,
      revoked: 0.005,
      wrong_eku: 0.1,
    });
    expect(parseFaults('')).toEqual({});
  });

  it.each([
    ['expired=1', /NAME=PERCENT%/],
    ['expired=x%', /NAME=PERCENT%/],
    ['expired=-1%', /NAME=PERCENT%/],
    ['bogus=1%', /unknown fault "bogus"/],
    ['expired=1%,expired=2%', /given twice/],
    ['expired=60%,revoked=50%', /more than 100%/],
    ['expired=101%', /between 0% and 100%/],
  ])('rejects "%s" naming the flag', (spec, msg) => {
    const e = (() => {
      try {
        parseFaults(spec);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).message).toMatch(/^--faults: /);
    expect((e as UsageError).message).toMatch(msg);
  });

  it('codes round-trip and 0 means none', () => {
    for (const f of FAULTS) expect(faultOfCode(faultCode(f))).toBe(f);
    expect(faultOfCode(faultCode(undefined))).toBeUndefined();
  });
});

/** Every device's fault code over the span, and the devices of each code. */
function assignment(shares: FaultShares, total: number, seed = 's1', first = 0): Uint8Array {
  const spread = new FaultSpread(shares, { first, total }, seed);
  const a = new Uint8Array(total);
  for (let x = 0; x < total; x++) a[x] = spread.code(first + x);
  return a;
}

function tally(a: Uint8Array, from = 0, to = a.length): number[] {
  const n = new Array<number>(FAULTS.length + 1).fill(0);
  for (let x = from; x < to; x++) n[a[x]!]!++;
  return n;
}

describe('exact fault shares', () => {
  it.each([
    [{ expired: 0.01 }, 15_000, { expired: 150 }],
    [{ expired: 0.05, revoked: 0.1, no_cert: 0.02 }, 20_000, { expired: 1000, revoked: 2000, no_cert: 400 }],
    [{ expired: 0.005 }, 199, { expired: 1 }], // 0.995 rounds up
    [{ expired: 0.005 }, 100, { expired: 1 }], // a half rounds up
    [{ expired: 0.004 }, 100, {}], // 0.4 rounds to none
    [{ wrong_ca: 0.1, cn_mismatch: 0.1 }, 7, { wrong_ca: 1, cn_mismatch: 1 }],
    [{ expired: 1 / 3, revoked: 1 / 3, wrong_eku: 1 / 3 }, 10, { expired: 3, revoked: 3, wrong_eku: 3 }],
    [{ expired: 0.5, revoked: 0.5 }, 11, { expired: 6, revoked: 6 }], // 12 > 11: refused below
  ])('%j over %i devices: round(share × N) each', (shares: FaultShares, total, counts) => {
    if (total === 11) {
      expect(() => exactFaultCounts(shares, total)).toThrow(
        /^--faults: the shares, rounded over 11 devices, give 12 faulty devices \(expired 6, revoked 6\), more than there are/,
      );
      expect(() => new FaultSpread(shares, { first: 0, total }, 's')).toThrow(UsageError);
      return;
    }
    expect(exactFaultCounts(shares, total)).toEqual(counts);
    const n = tally(assignment(shares, total));
    for (const f of FAULTS) expect(n[faultCode(f)], f).toBe((counts as Record<string, number>)[f] ?? 0);
  });

  it('refuses shares that round to more devices than there are', () => {
    const five = { expired: 0.2, revoked: 0.2, wrong_ca: 0.2, cn_mismatch: 0.2, no_cert: 0.2 };
    expect(() => exactFaultCounts(five, 53)).toThrow(/give 55 faulty devices .* more than there are/);
    expect(exactFaultCounts(five, 50)).toEqual({
      expired: 10,
      revoked: 10,
      wrong_ca: 10,
      cn_mismatch: 10,
      no_cert: 10,
    });
  });

  it('is a pure function of (seed, N, shares): the same every time, other for another seed or N', () => {
    const shares = { expired: 0.05, revoked: 0.1, no_cert: 0.02 };
    const a = assignment(shares, 20_000);
    expect(assignment(shares, 20_000)).toEqual(a);
    expect(assignment(shares, 20_000, 's2')).not.toEqual(a);
    expect(assignment(shares, 20_001).subarray(0, 20_000)).not.toEqual(a);
  });

  it('is exact over a span that does not start at 0, by absolute index', () => {
    const a = assignment({ revoked: 0.03 }, 1000, 's', 5000);
    expect(tally(a)[faultCode('revoked')]).toBe(30);
    expect(() => new FaultSpread({ revoked: 0.03 }, { first: 5000, total: 1000 }, 's').code(4999)).toThrow(RangeError);
  });

  it.each([
    ['one fault', { expired: 0.01 }],
    ['seven equal faults', Object.fromEntries(FAULTS.map((f) => [f, 0.03])) as FaultShares],
    ['three unequal faults', { expired: 0.05, revoked: 0.1, no_cert: 0.02 }],
    ['a large and a small one', { wrong_ca: 0.2, expired: 0.01 }],
  ])('%s: every shard gets its part within ±1 and the shards add up', (_name, shares: FaultShares) => {
    for (const total of [997, 15_000, 20_011]) {
      for (const seed of ['a', 'b', 'c']) {
        const a = assignment(shares, total, seed);
        const counts = exactFaultCounts(shares, total);
        for (const k of [2, 3, 4, 7, 10, 16, 64]) {
          const sum = new Array<number>(FAULTS.length + 1).fill(0);
          for (let i = 0; i < k; i++) {
            const from = Math.floor((i * total) / k);
            const to = Math.floor(((i + 1) * total) / k);
            const n = tally(a, from, to);
            for (const f of FAULTS) {
              const part = ((counts[f] ?? 0) * (to - from)) / total;
              expect(
                Math.abs(n[faultCode(f)]! - part),
                `${f} N=${total} seed ${seed} shard ${i}/${k}`,
              ).toBeLessThanOrEqual(1);
            }
            n.forEach((v, c) => (sum[c]! += v));
          }
          expect(sum).toEqual(tally(a));
        }
      }
    }
  });

  it('stays exact where x·c/N no longer fits a double (BigInt path)', () => {
    const total = 2 ** 47;
    const spread = new FaultSpread({ expired: 0.5, revoked: 0.25 }, { first: 0, total }, 'big');
    const n = { 0: 0, [faultCode('expired')]: 0, [faultCode('revoked')]: 0 } as Record<number, number>;
    for (const from of [0, total / 2 + 12_345, total - 40_000])
      for (let i = from; i < from + 40_000; i++) n[spread.code(i)]!++;
    expect(Math.abs(n[faultCode('expired')]! - 60_000)).toBeLessThanOrEqual(3);
    expect(Math.abs(n[faultCode('revoked')]! - 30_000)).toBeLessThanOrEqual(6);
  });
});
