import { describe, expect, it } from 'vitest';
import {
  formatMs,
  parseDuration,
  parsePercent,
  parsePlainNumber,
  parseRate,
  type Parsed,
} from '../../src/model/units.js';

const value = <T>(p: Parsed<T>): T => {
  if (!p.ok) throw new Error(p.error);
  return p.value;
};
const error = <T>(p: Parsed<T>): string => {
  if (p.ok) throw new Error(`accepted: ${String(p.value)}`);
  return p.error;
};

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h0m5s', 3_605_000],
    ['1.5s', 1_500],
    ['0s', 0],
    ['250us', 0.25],
    ['250µs', 0.25],
  ])('%s is %d ms', (text, ms) => {
    expect(value(parseDuration(text))).toBeCloseTo(ms, 9);
  });

  it.each([
    ['10 s', /no spaces/],
    ['1e3ms', /exponent/],
    ['-1s', /negative/],
    ['+1s', /sign/],
    ['.5s', /decimal point/],
    ['1.s', /decimal point/],
    ['30', /missing unit/],
    ['30sec', /unknown unit "sec"/],
    ['30s1m', /largest to smallest/],
    ['1s1s', /largest to smallest/],
    ['s', /expected a duration/],
    ['', /empty/],
    ['10s5', /expected a duration/],
  ])('rejects %j', (text, why) => {
    expect(error(parseDuration(text))).toMatch(why);
  });

  it('takes bare numbers only when told their unit', () => {
    expect(value(parseDuration('250', { bareUnit: 'ms' }))).toBe(250);
    expect(value(parseDuration('2', { bareUnit: 's' }))).toBe(2000);
    expect(value(parseDuration('2s', { bareUnit: 'ms' }))).toBe(2000);
    expect(error(parseDuration('2 ', { bareUnit: 'ms' }))).toMatch(/no spaces/);
  });
});

describe('parseRate', () => {
  it('reads events per second', () => {
    expect(value(parseRate('200/s'))).toBe(200);
    expect(value(parseRate('600/m'))).toBe(10);
    expect(value(parseRate('0.5/s'))).toBe(0.5);
  });
  it.each([
    ['200', /missing unit/],
    ['200 /s', /no spaces/],
    ['200/sec', /unknown unit/],
    ['-5/s', /negative/],
    ['2e2/s', /exponent/],
    ['fast', /expected a rate/],
  ])('rejects %j', (text, why) => {
    expect(error(parseRate(text))).toMatch(why);
  });
});

describe('parsePercent', () => {
  it('reads a fraction', () => {
    expect(value(parsePercent('1%'))).toBe(0.01);
    expect(value(parsePercent('0.5%'))).toBe(0.005);
    expect(value(parsePercent('100%'))).toBe(1);
  });
  it.each([
    ['1', /missing %/],
    ['1 %', /no spaces/],
    ['101%', /exceed 100%/],
    ['-1%', /negative/],
    ['%', /expected a percentage/],
  ])('rejects %j', (text, why) => {
    expect(error(parsePercent(text))).toMatch(why);
  });
});

describe('plain numbers and formatting', () => {
  it('parses plain numbers strictly', () => {
    expect(value(parsePlainNumber('0.01'))).toBe(0.01);
    expect(error(parsePlainNumber('1e-2'))).toMatch(/exponent/);
    expect(error(parsePlainNumber('1ms'))).toMatch(/expected a number/);
  });
  it('formats milliseconds for people', () => {
    expect(formatMs(0.25)).toBe('250µs');
    expect(formatMs(1.5)).toBe('1.5ms');
    expect(formatMs(123.45)).toBe('123.5ms');
    expect(formatMs(1500)).toBe('1.5s');
    expect(formatMs(125_000)).toBe('2m05s');
  });
});

describe('throwing forms for flags', () => {
  it('return the value or throw the reason', async () => {
    const { parseDurationMs, parseRatePerSecond, parsePercentFraction } = await import('../../src/model/units.js');
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseRatePerSecond('50/s')).toBe(50);
    expect(parsePercentFraction('2%')).toBe(0.02);
    expect(() => parseDurationMs('10 s')).toThrow(/no spaces/);
    expect(() => parseRatePerSecond('50')).toThrow(/missing unit/);
  });
});
