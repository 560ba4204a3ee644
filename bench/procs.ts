/** Process helpers for the benchmarks: resident memory of a process tree, read from /proc. */
import { readFileSync } from 'node:fs';

export function rssOf(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Children of a process (one level), from /proc/<pid>/task/<pid>/children. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** RSS of a process and all its descendants. */
export function treeRss(pid: number): number {
  let total = rssOf(pid);
  for (const c of childrenOf(pid)) total += treeRss(c);
  return total;
}

export const MiB = 2 ** 20;

/** Samples a value every `ms` until stopped; keeps the max and the series. */
export function sampler(read: () => number, ms = 250): { stop(): { peak: number; samples: number[] } } {
  const samples: number[] = [];
  const t = setInterval(() => samples.push(read()), ms);
  return {
    stop() {
      clearInterval(t);
      return { peak: Math.max(0, ...samples), samples };
    },
  };
}

/** CPU ms (user + system, all threads) a process has used, 0 when it is gone. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime in USER_HZ ticks
  } catch {
    return 0;
  }
}

/** CPU ms of a process and all its live descendants. */
export function treeCpuMs(pid: number): number {
  let total = cpuMsOf(pid);
  for (const c of childrenOf(pid)) total += treeCpuMs(c);
  return total;
}
