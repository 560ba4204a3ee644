/**
 * What this machine lets one generator process hold: open files (each socket is one) and
 * ephemeral ports per source address. Checked before a run so a plan that cannot fit is
 * refused up front with what to change, instead of EMFILE or EADDRNOTAVAIL mid-run.
 */
import { readFileSync } from 'node:fs';
import { PlanError } from '../errors.js';

/** fds a process needs besides its sockets: stdio, libuv, worker threads, files. */
const FD_RESERVE = 100;

export interface HostLimits {
  /** soft RLIMIT_NOFILE of this process (Node raises soft to hard at start-up) */
  fdLimit: number;
  fdHardLimit: number;
  portRange: [number, number];
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function hostLimits(): HostLimits {
  let fdLimit = 1024;
  let fdHardLimit = 1024;
  const limits = readOr('/proc/self/limits');
  const line = limits?.split('\n').find((l) => l.startsWith('Max open files'));
  const m = line?.match(/Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/);
  if (m) {
    fdLimit = m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
    fdHardLimit = m[2] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[2]);
  }
  let portRange: [number, number] = [32768, 60999];
  const pr = readOr('/proc/sys/net/ipv4/ip_local_port_range')?.trim().split(/\s+/).map(Number);
  if (pr && pr.length === 2 && pr.every((n) => Number.isInteger(n))) portRange = [pr[0]!, pr[1]!];
  return { fdLimit, fdHardLimit, portRange };
}

export interface CapacityNeed {
  /** connections open at the same time at the peak (held + in flight) */
  peakConnections: number;
  /** distinct (source address, target address) pairs the connections are spread over */
  sourceTargetPairs: number;
  /** target addresses (each source address gives a pair with each of them) */
  targets: number;
  /** generator processes sharing the load */
  processes: number;
}

/** Files a generator needs open besides its sockets: below this, it cannot even start its workers. */
const MIN_FILES = FD_RESERVE + 50;

/** Sockets one process can hold under its fd limit. */
export function socketsPerProcess(limits: HostLimits): number {
  return Math.max(0, limits.fdLimit - FD_RESERVE);
}

/** The open-files limit is too low to run at all: say so, and how to raise it. */
export function checkFileLimit(limits: HostLimits): void {
  if (limits.fdLimit >= MIN_FILES) return;
  const raise = Math.min(limits.fdHardLimit, 20_000);
  const how =
    limits.fdHardLimit >= MIN_FILES
      ? `raise it (ulimit -n ${raise}; the hard limit is ${limits.fdHardLimit})`
      : `its hard limit is ${limits.fdHardLimit}: raise that (as root, or in /etc/security/limits.conf)`;
  throw new PlanError(
    `this process may open only ${limits.fdLimit} files; herd needs about ${FD_RESERVE} for itself and one per ` +
      `connection: ${how}`,
  );
}

/** Consecutive loopback source addresses from 127.0.0.2, as --source-ips takes them (undefined: more than 127/8 has). */
export function loopbackRange(n: number): string | undefined {
  const first = (127 << 24) + 2;
  const last = first + n - 1;
  if (last > (127 << 24) + 0xfffffe) return undefined;
  const ip = (x: number): string => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
  return n <= 1 ? ip(first) : `${ip(first)}-${ip(last)}`;
}

/** Throws PlanError (exit 2) naming what to change when the plan does not fit. */
export function checkCapacity(need: CapacityNeed, limits: HostLimits = hostLimits()): void {
  checkFileLimit(limits);
  const perProcess = Math.ceil(need.peakConnections / need.processes);
  const fdCap = socketsPerProcess(limits);
  if (perProcess > fdCap) {
    const processes = Math.ceil(need.peakConnections / fdCap);
    throw new PlanError(
      `the plan holds up to ${need.peakConnections} connections at once, ${perProcess} per generator process, ` +
        `but this process may open only ${limits.fdLimit} files (hard limit ${limits.fdHardLimit}); ` +
        `use at least ${processes} generator processes (--processes ${processes}), shorten --hold, or lower --devices`,
    );
  }
  const ports = limits.portRange[1] - limits.portRange[0] + 1;
  const perPair = Math.ceil(need.peakConnections / need.sourceTargetPairs);
  if (perPair > ports) {
    const pairs = Math.ceil(need.peakConnections / ports);
    const sources = Math.ceil(pairs / Math.max(1, need.targets));
    const range = loopbackRange(sources);
    const example = range === undefined ? 'more machines (shards)' : `--source-ips ${range} (for loopback targets)`;
    throw new PlanError(
      `the plan holds up to ${need.peakConnections} connections at once over ${need.sourceTargetPairs} source/target ` +
        `address pair(s), ${perPair} per pair, but the ephemeral port range ${limits.portRange[0]}-${limits.portRange[1]} ` +
        `gives ${ports} ports per pair; spread over at least ${pairs} pairs: ${sources} source addresses ` +
        `(${example}) or more --target addresses`,
    );
  }
}
