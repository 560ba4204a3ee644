/**
 * Faulty credentials minted ahead of time: the shares asked for, parsed and checked, and
 * the codes the store keeps. Which device gets which fault is fault-spread.ts.
 */
import { FAULTS, type Fault } from '../model/names.js';
import { UsageError } from '../errors.js';

/** Share of devices per fault, as fractions (0.01 = 1%). */
export type FaultShares = Partial<Record<Fault, number>>;

function isFault(s: string): s is Fault {
  return (FAULTS as readonly string[]).includes(s);
}

/** Store code of a fault: 0 is none, then FAULTS order from 1. */
export function faultCode(f: Fault | undefined): number {
  return f === undefined ? 0 : FAULTS.indexOf(f) + 1;
}

export function faultOfCode(code: number): Fault | undefined {
  return code === 0 ? undefined : FAULTS[code - 1];
}

/** `expired=1%,revoked=0.5%` (each fault at most once, shares summing to at most 100%). */
export function parseFaults(spec: string, flag = '--faults'): FaultShares {
  const out: FaultShares = {};
  for (const item of spec.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const m = /^([a-z_]+)=(\d+(?:\.\d+)?)%$/.exec(item);
    if (!m) throw new UsageError(`"${item}" is not NAME=PERCENT% (e.g. expired=1%)`, flag);
    const [, name = '', pct = ''] = m;
    if (!isFault(name)) throw new UsageError(`unknown fault "${name}" (one of ${FAULTS.join(', ')})`, flag);
    if (out[name] !== undefined) throw new UsageError(`fault "${name}" is given twice`, flag);
    out[name] = Number(pct) / 100;
  }
  return checkFaultShares(out, flag);
}

export function checkFaultShares(shares: FaultShares, flag = '--faults'): FaultShares {
  let sum = 0;
  for (const [name, v] of Object.entries(shares)) {
    if (!isFault(name)) throw new UsageError(`unknown fault "${name}" (one of ${FAULTS.join(', ')})`, flag);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)
      throw new UsageError(`share of "${name}" must be between 0% and 100%`, flag);
    sum += v;
  }
  if (sum > 1 + 1e-9) throw new UsageError(`fault shares add up to ${(sum * 100).toFixed(2)}%, more than 100%`, flag);
  return shares;
}
