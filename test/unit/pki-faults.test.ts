import { describe, it, expect } from 'vitest';
import { FaultPicker, faultCode, faultOfCode, parseFaults } from '../../src/pki/faults.js';
import { DeviceKeyDeriver } from '../../src/pki/keys.js';
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

  it('assigns faults as a pure function of (seed, index), close to the asked shares', () => {
    const shares = { expired: 0.05, revoked: 0.1, no_cert: 0.02 };
    const pick = (seed: string) => {
      const d = new DeviceKeyDeriver('p256', seed);
      const p = new FaultPicker(shares);
      return Array.from({ length: 20_000 }, (_, i) => p.pick(DeviceKeyDeriver.draw(d.material(i))));
    };
    const a = pick('s1');
    expect(pick('s1')).toEqual(a);
    expect(pick('s2')).not.toEqual(a);
    const share = (f: string) => a.filter((x) => x === f).length / a.length;
    expect(share('expired')).toBeCloseTo(0.05, 1);
    expect(share('revoked')).toBeGreaterThan(0.085);
    expect(share('revoked')).toBeLessThan(0.115);
    expect(share('no_cert')).toBeGreaterThan(0.012);
    expect(a.filter((x) => x === undefined).length / a.length).toBeCloseTo(0.83, 1);
  });
});
