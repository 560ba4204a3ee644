/**
 * Which device gets which fault: exactly round(share × N) devices per fault over a span of
 * N devices, spread evenly over the span, as a pure function of (seed, span, shares).
 *
 * The faults are taken in levels, largest count first (faults with equal counts share a
 * level). A level of c devices is a Bresenham line over the n devices the levels above left
 * free: device x (rotated by a seed-derived offset) is hit when ⌊(x+1)·c/n⌋ > ⌊x·c/n⌋, so
 * any run of L devices holds ⌊L·c/n⌋ or ⌈L·c/n⌉ of them. A level's hits go to its faults
 * in turn (from a seed-derived start); the devices it did not hit are numbered on for the
 * next level. Device i's fault is a few integer operations per level: no state, no sort.
 */
import crypto from 'node:crypto';
import { UsageError } from '../errors.js';
import { FAULTS, type Fault } from '../model/names.js';
import { faultCode, faultOfCode, type FaultShares } from './faults.js';

/** The devices the shares are exact over: `first` .. `first + total - 1`. */
export interface FaultSpan {
  first: number;
  total: number;
}

/** round(share × total) per fault (halves round up); refused when they add up to more than total. */
export function exactFaultCounts(
  shares: FaultShares,
  total: number,
  flag = '--faults',
): Partial<Record<Fault, number>> {
  const counts: Partial<Record<Fault, number>> = {};
  let sum = 0;
  for (const f of FAULTS) {
    const s = shares[f] ?? 0;
    // the nudge keeps a true half (0.5% of 100) from rounding down on binary noise
    const n = s > 0 ? Math.floor(s * total + 0.5 + 1e-9) : 0;
    if (n > 0) counts[f] = n;
    sum += n;
  }
  if (sum > total) {
    const list = Object.entries(counts)
      .map(([f, n]) => `${f} ${n}`)
      .join(', ');
    throw new UsageError(
      `the shares, rounded over ${total} devices, give ${sum} faulty devices (${list}), more than there are: lower a share or use more devices`,
      flag,
    );
  }
  return counts;
}

/** A span of whole devices that holds the `count` devices from `start` (the ones minted). */
export function checkFaultSpan(span: FaultSpan, start: number, count: number): FaultSpan {
  const { first, total } = span;
  if (!Number.isSafeInteger(first) || first < 0 || !Number.isSafeInteger(total) || total < 1)
    throw new UsageError(`expected devices FIRST-LAST, got ${first}+${total}`, '--fault-span');
  if (first > start || first + total < start + count)
    throw new UsageError(
      `devices ${first}-${first + total - 1} do not hold the devices minted (${start}-${start + count - 1})`,
      '--fault-span',
    );
  return { first, total };
}

interface Level {
  /** fault codes of this level, in FAULTS order */
  codes: number[];
  /** devices hit: codes.length × the count of each */
  c: number;
  /** devices left free by the levels above */
  n: number;
  rot: number;
  /** which of `codes` the level's first hit gets */
  rho: number;
  /** n·c fits a double exactly, so ⌊x·c/n⌋ needs no BigInt */
  small: boolean;
}

/**
 * Device x's rank among the level's hits, or -1 when the level does not hit it:
 * ⌊x·c/n⌋, and x is hit when ⌊(x+1)·c/n⌋ is one more, i.e. when (x·c mod n) + c ≥ n.
 * With n·c ≤ 2^53 the double quotient floors exactly (it is at least 1/n below the next
 * integer, more than its rounding error); larger spans take BigInt.
 */
function hitRank(x: number, l: Level): { before: number; hit: boolean } {
  if (l.small) {
    const p = x * l.c;
    const before = Math.floor(p / l.n);
    return { before, hit: p - before * l.n + l.c >= l.n };
  }
  const p = BigInt(x) * BigInt(l.c);
  const n = BigInt(l.n);
  return { before: Number(p / n), hit: (p % n) + BigInt(l.c) >= n };
}

function offsets(seed: string, span: FaultSpan, level: number): Buffer {
  return crypto.createHmac('sha256', seed).update(`herd/faults/v2/${span.total}/${level}`).digest();
}

export class FaultSpread {
  readonly counts: Partial<Record<Fault, number>>;
  private readonly levels: Level[] = [];

  constructor(
    shares: FaultShares,
    readonly span: FaultSpan,
    seed: string,
  ) {
    this.counts = exactFaultCounts(shares, span.total);
    const byCount = new Map<number, number[]>();
    for (const f of FAULTS) {
      const n = this.counts[f];
      if (n !== undefined) byCount.set(n, [...(byCount.get(n) ?? []), faultCode(f)]);
    }
    let free = span.total;
    for (const [count, codes] of [...byCount].sort((a, b) => b[0] - a[0])) {
      const h = offsets(seed, span, this.levels.length);
      const c = count * codes.length;
      this.levels.push({
        codes,
        c,
        n: free,
        rot: h.readUIntBE(0, 6) % free,
        rho: h.readUInt32BE(6) % codes.length,
        small: free * c <= Number.MAX_SAFE_INTEGER,
      });
      free -= c;
    }
  }

  get empty(): boolean {
    return this.levels.length === 0;
  }

  /** Device i's fault code (0: none); i is an absolute index inside the span. */
  code(i: number): number {
    let x = i - this.span.first;
    if (!(x >= 0 && x < this.span.total))
      throw new RangeError(`device ${i} is outside the fault span ${this.span.first}+${this.span.total}`);
    for (const l of this.levels) {
      x += l.rot;
      if (x >= l.n) x -= l.n;
      const { before, hit } = hitRank(x, l);
      if (hit) return l.codes[(before + l.rho) % l.codes.length]!;
      x -= before;
    }
    return 0;
  }

  fault(i: number): Fault | undefined {
    return faultOfCode(this.code(i));
  }
}
