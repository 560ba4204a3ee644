import { describe, it, expect } from 'vitest';
import { checkCapacity, hostLimits, socketsPerProcess } from '../../src/engine/limits.js';

describe('generator limits', () => {
  it('reads the open-files limit and the ephemeral port range of this machine', () => {
    const l = hostLimits();
    expect(l.fdLimit).toBeGreaterThan(256);
    expect(l.portRange[1]).toBeGreaterThan(l.portRange[0]);
  });
  it('refuses a plan that needs more sockets than one process may open, saying how many processes', () => {
    const limits = { fdLimit: 20000, fdHardLimit: 20000, portRange: [32768, 60999] as [number, number] };
    expect(socketsPerProcess(limits)).toBe(19900);
    expect(() => checkCapacity({ peakConnections: 19900, sourceTargetPairs: 1, processes: 1 }, limits)).not.toThrow();
    expect(() => checkCapacity({ peakConnections: 30000, sourceTargetPairs: 2, processes: 1 }, limits)).toThrow(
      /at least 2 generator processes/,
    );
  });
  it('refuses a plan that needs more ports than one source/target pair has, naming --source-ips', () => {
    const limits = { fdLimit: 1_000_000, fdHardLimit: 1_000_000, portRange: [32768, 60999] as [number, number] };
    expect(() => checkCapacity({ peakConnections: 50000, sourceTargetPairs: 1, processes: 1 }, limits)).toThrow(
      /--source-ips/,
    );
    expect(() => checkCapacity({ peakConnections: 50000, sourceTargetPairs: 2, processes: 1 }, limits)).not.toThrow();
  });
});
