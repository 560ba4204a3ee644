import { describe, it, expect } from 'vitest';
import { checkCapacity, hostLimits, loopbackRange, socketsPerProcess } from '../../src/engine/limits.js';
import { arrivalRate } from '../../src/load/arrival-rate.js';
import { expandSourceIps } from '../../src/run/config.js';

describe('generator limits', () => {
  it('reads the open-files limit and the ephemeral port range of this machine', () => {
    const l = hostLimits();
    expect(l.fdLimit).toBeGreaterThan(256);
    expect(l.portRange[1]).toBeGreaterThan(l.portRange[0]);
  });
  it('refuses a plan that needs more sockets than one process may open, saying how many processes', () => {
    const limits = { fdLimit: 20000, fdHardLimit: 20000, portRange: [32768, 60999] as [number, number] };
    expect(socketsPerProcess(limits)).toBe(19900);
    expect(() =>
      checkCapacity({ peakConnections: 19900, sourceTargetPairs: 1, targets: 1, processes: 1 }, limits),
    ).not.toThrow();
    expect(() =>
      checkCapacity({ peakConnections: 30000, sourceTargetPairs: 2, targets: 1, processes: 1 }, limits),
    ).toThrow(/at least 2 generator processes/);
  });
  it('refuses a plan that needs more ports than one source/target pair has, naming --source-ips', () => {
    const limits = { fdLimit: 1_000_000, fdHardLimit: 1_000_000, portRange: [32768, 60999] as [number, number] };
    expect(() =>
      checkCapacity({ peakConnections: 50000, sourceTargetPairs: 1, targets: 1, processes: 1 }, limits),
    ).toThrow(/--source-ips/);
    expect(() =>
      checkCapacity({ peakConnections: 50000, sourceTargetPairs: 2, targets: 1, processes: 1 }, limits),
    ).not.toThrow();
  });

  it('suggests source addresses that exist, however many are needed', () => {
    const limits = { fdLimit: 10_000_000, fdHardLimit: 10_000_000, portRange: [32768, 60999] as [number, number] };
    let message = '';
    try {
      checkCapacity({ peakConnections: 10_000_000, sourceTargetPairs: 1, targets: 1, processes: 1000 }, limits);
    } catch (e) {
      message = (e as Error).message;
    }
    const range = /--source-ips (\S+)/.exec(message)?.[1];
    expect(range).toBe('127.0.0.2-127.0.1.100'); // 355 addresses, not 127.0.0.356
    expect(expandSourceIps(range!)).toHaveLength(355);
    expect(loopbackRange(1)).toBe('127.0.0.2');
    expect(loopbackRange(20_000_000)).toBeUndefined();
  });
  it('refuses an open-files limit too low to start at all, saying how to raise it (not a crash)', () => {
    const limits = { fdLimit: 64, fdHardLimit: 20000, portRange: [32768, 60999] as [number, number] };
    expect(() =>
      checkCapacity({ peakConnections: 10, sourceTargetPairs: 1, targets: 1, processes: 1 }, limits),
    ).toThrow(/may open only 64 files.*ulimit -n 20000/);
  });
  it('plans for the connections a schedule can hold at once, not for every device', () => {
    const run = { devices: 10_000_000, inFlight: 100, holdMs: 60_000, connectMs: 40_000 };
    // 1,000 connects/s held for 60 s, plus the slowest connect (40 s), plus those in flight
    expect(arrivalRate.peakConnections({ executor: 'arrival-rate', rate: 1000, durationMs: undefined }, run)).toBe(
      100_100,
    );
    expect(
      arrivalRate.peakConnections(
        { executor: 'arrival-rate', rate: 1000, durationMs: undefined },
        { ...run, devices: 5000 },
      ),
    ).toBe(5000);
    expect(
      arrivalRate.peakConnections(
        { executor: 'arrival-rate', rate: 1000, durationMs: undefined },
        { ...run, holdMs: 0 },
      ),
    ).toBe(100);
  });
});
