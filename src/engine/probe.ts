/**
 * What the machine did during a run or a capacity step, read from /proc (Linux; elsewhere
 * every value is null): how busy all CPUs were, and — when the broker listens on this
 * machine and this user may see it — how much CPU the broker process used. That is what
 * tells "mosquitto was at 100% of its one core" from "the box was full".
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { round } from '../util/numbers.js';
import type { CpuSample, NetCounters } from '../judge/findings.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux Node runs on). */
const CLK_TCK = 100;

export interface BrokerProcess {
  /** the first of them */
  pid: number;
  /** every process listening on the run's targets (one, or several brokers on several ports) */
  pids: number[];
  /** the command name (/proc/<pid>/comm; several different ones joined with +) */
  name: string;
  threads: number;
}

export interface ProbeSample {
  /** share of all CPUs busy over the step, 0–1 */
  hostCpu: number | null;
  /** CPU cores the broker process used on average over the step */
  brokerCpu: number | null;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** [busy, total] jiffies of all CPUs since boot. */
function hostJiffies(): [number, number] | undefined {
  const line = read('/proc/stat')
    ?.split('\n')
    .find((l) => l.startsWith('cpu '));
  if (line === undefined) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest is inside user)
  return [total - idle, total];
}

/** CPU ms a process has used (user + system), or undefined when it is gone or hidden. */
export function processCpuMs(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // the command name may hold spaces and parentheses: fields start after the last ')'
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
  return Number.isFinite(ticks) ? (ticks * 1000) / CLK_TCK : undefined;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

/** The listening sockets on these hex ports: `socket:[inode]` → hex port, from /proc/net/tcp{,6}. */
function listeningSockets(hexPorts: ReadonlySet<string>): Map<string, string> {
  const sockets = new Map<string, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (read(table) ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is field 10
      const port = f[1]?.slice(f[1].lastIndexOf(':') + 1);
      if (port !== undefined && hexPorts.has(port) && f[3] === '0A' && f[9] !== undefined && f[9] !== '0')
        sockets.set(`socket:[${f[9]}]`, port);
    }
  }
  return sockets;
}

/**
 * The processes listening on loopback host:ports, found through /proc/net/tcp{,6} (the
 * sockets' inodes) and /proc/<pid>/fd: one BrokerProcess for them all (its CPU is theirs
 * together). Undefined when a host is remote, when a port's listener is this very process
 * (the embedded broker is a thread of ours) or when /proc does not tell for every port.
 */
export function findLocalListeners(targets: readonly { host: string; port: number }[]): BrokerProcess | undefined {
  if (targets.length === 0 || !targets.every((t) => LOOPBACK.test(t.host))) return undefined;
  const hexPorts = new Set(targets.map((t) => t.port.toString(16).toUpperCase().padStart(4, '0')));
  const sockets = listeningSockets(hexPorts);
  if (sockets.size === 0) return undefined;
  const seen = new Set<string>();
  const found: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (seen.size === hexPorts.size) break;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to see
    }
    for (const fd of fds) {
      let port: string | undefined;
      try {
        port = sockets.get(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        continue;
      }
      if (port === undefined) continue;
      if (Number(pid) === process.pid) return undefined;
      if (!found.includes(Number(pid))) found.push(Number(pid));
      seen.add(port);
    }
  }
  if (seen.size < hexPorts.size) return undefined;
  const names = [...new Set(found.map((pid) => (read(`/proc/${pid}/comm`) ?? '?').trim()))];
  const threads = found.reduce(
    (n, pid) => n + Number(/^Threads:\s+(\d+)/m.exec(read(`/proc/${pid}/status`) ?? '')?.[1] ?? 1),
    0,
  );
  return { pid: found[0]!, pids: found, name: names.join('+'), threads };
}

/** The process listening on a loopback host:port (findLocalListeners of one). */
export function findLocalListener(host: string, port: number): BrokerProcess | undefined {
  return findLocalListeners([{ host, port }]);
}

/** CPU ms the broker's processes have used together; undefined when one is gone or hidden. */
export function brokerCpuMs(b: BrokerProcess): number | undefined {
  let total = 0;
  for (const pid of b.pids) {
    const ms = processCpuMs(pid);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}

/**
 * A broker process known by its pid (herd's own embedded broker, a child process). Its
 * handshakes run on one event loop, so it counts as one thread whatever /proc says.
 */
export function brokerProcess(pid: number, name: string, threads?: number): BrokerProcess {
  const seen = Number(/^Threads:\s+(\d+)/m.exec(read(`/proc/${pid}/status`) ?? '')?.[1] ?? 1);
  return { pid, pids: [pid], name, threads: threads ?? seen };
}

/** Starts measuring now; `stop()` says what happened since. */
export function startProbe(broker: BrokerProcess | undefined): { stop(): ProbeSample } {
  const h0 = hostJiffies();
  const b0 = broker === undefined ? undefined : brokerCpuMs(broker);
  const t0 = performance.now();
  return {
    stop(): ProbeSample {
      const h1 = hostJiffies();
      const b1 = broker === undefined ? undefined : brokerCpuMs(broker);
      const wallMs = Math.max(1, performance.now() - t0);
      const hostCpu =
        h0 !== undefined && h1 !== undefined && h1[1] > h0[1] ? round((h1[0] - h0[0]) / (h1[1] - h0[1])) : null;
      const brokerCpu = b0 !== undefined && b1 !== undefined ? round((b1 - b0) / wallMs) : null;
      return { hostCpu, brokerCpu };
    },
  };
}

/** The kernel's TCP counters of this network namespace (/proc/net/netstat TcpExt), or undefined. */
function tcpCounters(): NetCounters | undefined {
  const lines = (read('/proc/net/netstat') ?? '').split('\n').filter((l) => l.startsWith('TcpExt:'));
  if (lines.length < 2) return undefined;
  const names = lines[0]!.trim().split(/\s+/);
  const values = lines[1]!.trim().split(/\s+/).map(Number);
  const at = (name: string): number | undefined => {
    const v = values[names.indexOf(name)];
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  };
  const synRetransmits = at('TCPSynRetrans');
  const listenOverflows = at('ListenOverflows');
  if (synRetransmits === undefined || listenOverflows === undefined) return undefined;
  return { synRetransmits, listenOverflows };
}

/** What a run probe saw: CPU once per interval, and the TCP counters' increase. */
export interface RunProbe {
  cpu: CpuSample[];
  net: NetCounters | undefined;
}

/**
 * Samples the machine's CPU, the broker's (when known) and the generator's (`generatorCpuMs`:
 * CPU ms it has used so far) every `everyMs`, and the kernel's SYN retransmits and listen
 * overflows over the whole time, until `stop()` (which may be called again: same result).
 */
export function startRunProbe(o: {
  broker: BrokerProcess | undefined;
  generatorCpuMs: () => number;
  everyMs?: number;
}): { stop(): RunProbe } {
  const samples: CpuSample[] = [];
  const n0 = tcpCounters();
  let result: RunProbe | undefined;
  let h0 = hostJiffies();
  let b0 = o.broker === undefined ? undefined : brokerCpuMs(o.broker);
  let g0 = o.generatorCpuMs();
  let t0 = Date.now();
  const sample = (): void => {
    const t1 = Date.now();
    const h1 = hostJiffies();
    const b1 = o.broker === undefined ? undefined : brokerCpuMs(o.broker);
    const g1 = o.generatorCpuMs();
    const ms = Math.max(1, t1 - t0);
    samples.push({
      at: t1,
      ms,
      host: h0 !== undefined && h1 !== undefined && h1[1] > h0[1] ? round((h1[0] - h0[0]) / (h1[1] - h0[1])) : null,
      broker: b0 !== undefined && b1 !== undefined ? round((b1 - b0) / ms) : null,
      generator: round(Math.max(0, g1 - g0) / ms),
    });
    [t0, h0, b0, g0] = [t1, h1, b1, g1];
  };
  const timer = setInterval(sample, o.everyMs ?? 1000);
  timer.unref();
  return {
    stop(): RunProbe {
      if (result !== undefined) return result;
      clearInterval(timer);
      if (Date.now() - t0 >= 100) sample();
      const n1 = tcpCounters();
      const net =
        n0 === undefined || n1 === undefined
          ? undefined
          : {
              synRetransmits: Math.max(0, n1.synRetransmits - n0.synRetransmits),
              listenOverflows: Math.max(0, n1.listenOverflows - n0.listenOverflows),
            };
      result = { cpu: samples, net };
      return result;
    },
  };
}
