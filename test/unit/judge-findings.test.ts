/**
 * What limited a run (src/judge/findings.ts), on summaries built by the real recorder and
 * aggregator (HDR histograms of made-up but realistic values): SYN retries, 40 ms CONNACKs,
 * a schedule kept or slipped and why, CPU, limits, resumption and a saturated generator.
 */
import { describe, expect, it } from 'vitest';
import { FINDING_LIMITS, findingsOf, type CpuSample, type RunFacts } from '../../src/judge/findings.js';
import type { Finding, Summary } from '../../src/model/summary.js';
import { mergeSummaries } from '../../src/run/merge.js';
import { summaryOf } from '../helpers/summaries.js';

/** Facts of a quiet machine with room to spare, each part replaceable. */
function facts(over: Partial<RunFacts> = {}): RunFacts {
  return {
    cores: 4,
    cpu: [],
    net: { synRetransmits: 0, listenOverflows: 0 },
    broker: undefined,
    fds: { perProcess: 1000, usable: 19_900, limit: 20_000 },
    ports: { perPair: 1000, available: 28_232, pairs: 1 },
    ...over,
  };
}

/** A CPU sample a second over [from, to) epoch ms. */
function cpu(from: number, to: number, sample: Omit<CpuSample, 'at' | 'ms'>): CpuSample[] {
  const out: CpuSample[] = [];
  for (let at = from + 1000; at <= to + 1000; at += 1000) out.push({ at, ms: 1000, ...sample });
  return out;
}

const codes = (list: readonly Finding[]): string[] => list.map((f) => f.code);
const find = (list: readonly Finding[], code: string): Finding => {
  const f = list.find((x) => x.code === code);
  if (f === undefined) throw new Error(`no ${code} among ${codes(list).join(', ')}`);
  return f;
};

describe('findings: the schedule', () => {
  it('a schedule kept says so, with the asked and achieved rates and the start lag, and nothing else', () => {
    const s = summaryOf({ n: 1000, every: 5, lag: (i) => (i % 100 === 0 ? 12 : 0.3) });
    const found = findingsOf(s, facts());
    expect(codes(found)).toEqual(['schedule_kept']);
    const f = found[0]!;
    expect(f.severity).toBe('info');
    expect(f.evidence.asked_per_second).toBe(200);
    expect(f.evidence.achieved_per_second).toBeCloseTo(200, 0);
    expect(f.evidence.waited_for_in_flight).toBe(0);
    expect(f.evidence.start_lag_max_ms).toBeCloseTo(12, 1);
    expect(f.message).toContain('asked 200/s');
  });

  it('a schedule slipped behind the in-flight cap says so, with the counts and what to change', () => {
    // 1000 attempts asked at 200/s; from the 100th on, each waited for a slot and fell further behind
    const lag = (i: number): number => (i < 100 ? 0.3 : (i - 100) * 2.5);
    const s = summaryOf({ n: 1000, every: 5, lag, waited: (i) => i >= 100, tls: () => 400 }, {}, 100);
    const found = findingsOf(s, facts());
    expect(codes(found)).toEqual(['schedule_slipped', 'in_flight_cap']);
    const slipped = found[0]!;
    expect(slipped.severity).toBe('warning');
    expect(slipped.evidence.asked_per_second).toBe(200);
    expect(slipped.evidence.achieved_per_second as number).toBeLessThan(150);
    expect(slipped.evidence.start_lag_p99_ms as number).toBeGreaterThan(FINDING_LIMITS.scheduleLagP99Ms);
    expect(slipped.message).toMatch(/Limited by the in-flight cap/);
    expect(slipped.message).toMatch(/ask for about \d+\/s \(--rate/);
    const cap = found[1]!;
    expect(cap.evidence).toMatchObject({ waited_for_in_flight: 900, attempts: 1000, in_flight_cap: 100 });
    // 100 slots, attempts of ~400 ms: at most ~250/s
    expect(cap.evidence.cap_carries_per_second as number).toBeGreaterThan(200);
    expect(cap.evidence.cap_carries_per_second as number).toBeLessThan(260);
    expect(cap.message).toMatch(/^900 of 1000 attempts \(90%\) waited for a slot: --in-flight 100/);
    expect(cap.message).toMatch(/Raise --in-flight/);
  });

  it('a full machine is the first cause: its split, the cost of a connect and a rate it carries', () => {
    const lag = (i: number): number => i * 1.5;
    const s = summaryOf({ n: 1000, every: 2.5, lag, waited: (i) => i > 50 }, { cpu_ms_per_handshake: 6 });
    const sch = s.schedule!;
    const samples = cpu(Date.parse(sch.first_intended), Date.parse(sch.last_started), {
      host: 0.99,
      generator: 1.1,
      broker: 0.8,
    });
    const found = findingsOf(
      s,
      facts({ cores: 2, cpu: samples, broker: { name: 'herd embedded broker', threads: 1 } }),
    );
    expect(codes(found)).toEqual(['schedule_slipped', 'machine_cpu', 'in_flight_cap']);
    const m = find(found, 'machine_cpu');
    expect(m.evidence).toMatchObject({ cores: 2, machine_busy: 0.99, generator_cores: 1.1, broker_cores: 0.8 });
    expect(m.evidence.other_cores as number).toBeCloseTo(0.08, 2);
    expect(m.message).toMatch(/2 CPUs were 99% busy/);
    expect(m.message).toMatch(/herd embedded broker 0.8/);
    expect(find(found, 'schedule_slipped').message).toMatch(/Limited by the machine's CPUs, the in-flight cap/);
    expect(find(found, 'in_flight_cap').message).toMatch(/a CPU is full/);
  });

  it('a machine full in bursts (a busy neighbour) is a cause too, split over those seconds', () => {
    const s = summaryOf({ n: 1200, every: 10, lag: (i) => (i > 600 && i < 700 ? 300 : 0.4) });
    const from = Date.parse(s.schedule!.first_intended);
    const samples = cpu(from, from + 11_000, { host: 0.7, generator: 0.9, broker: 0.5 }).map((x, i) =>
      i % 3 === 1 ? { ...x, host: 0.99, generator: 0.5, broker: 0.3 } : x,
    );
    const found = findingsOf(
      s,
      facts({ cores: 2, cpu: samples, broker: { name: 'herd embedded broker', threads: 1 } }),
    );
    const m = find(found, 'machine_cpu');
    expect(m.evidence).toMatchObject({ full_seconds: 4, seconds: 12, cores_over: 'its full seconds' });
    expect(m.evidence.other_cores as number).toBeCloseTo(1.18, 2);
    expect(m.message).toMatch(
      /CPUs were full \(97% or more\) in 4 of the 12 seconds the schedule ran \(80% on average\)/,
    );
    expect(m.message).toMatch(/Most of it was other processes/);
    // one full second alone is noise
    const once = samples.map((x, i) => (x.host === 0.99 && i > 1 ? { ...x, host: 0.7 } : x));
    expect(codes(findingsOf(s, facts({ cores: 2, cpu: once })))).not.toContain('machine_cpu');
  });

  it('a rate the cores carry, slipped beside a neighbour: says so rather than suggesting the same rate', () => {
    const s = summaryOf({ n: 600, every: 10, lag: (i) => i * 2 }, { cpu_ms_per_handshake: 5 });
    const from = Date.parse(s.schedule!.first_intended);
    const samples = cpu(from, from + 6000, { host: 0.98, generator: 0.6, broker: 0.4 });
    const found = findingsOf(
      s,
      facts({ cores: 2, cpu: samples, broker: { name: 'herd embedded broker', threads: 1 } }),
    );
    // 100/s asked; 2 cores carry ~200/s of 5 ms + ~4 ms a connect: the rate fits, the neighbour's 0.96 cores do not
    const m = find(found, 'machine_cpu');
    expect(m.message).toMatch(/the rate asked fits them, but not beside the other processes/);
    expect(m.message).not.toMatch(/lower --rate to about/);
  });

  it("a broker at its one thread's limit is a finding of its own", () => {
    const s = summaryOf({ n: 500, every: 5, lag: (i) => i * 2 });
    const sch = s.schedule!;
    const samples = cpu(Date.parse(sch.first_intended), Date.parse(sch.last_started), {
      host: 0.4,
      generator: 0.6,
      broker: 0.97,
    });
    const found = findingsOf(s, facts({ cores: 8, cpu: samples, broker: { name: 'mosquitto', threads: 1 } }));
    expect(codes(found)).toEqual(['schedule_slipped', 'broker_cpu']);
    expect(find(found, 'broker_cpu').message).toMatch(/^mosquitto used 1.0 cores, all that its one thread/);
  });

  it('a slipped schedule says by how much and which side spent the CPU: the generator, or the broker near its one core', () => {
    const s = summaryOf({ n: 500, every: 5, lag: (i) => i * 2 });
    const sch = s.schedule!;
    const samples = cpu(Date.parse(sch.first_intended), Date.parse(sch.last_started), {
      host: 0.4,
      generator: 0.6,
      broker: 0.97,
    });
    const broker = { name: 'mosquitto', threads: 1, pid: 4242 };
    const slipped = find(findingsOf(s, facts({ cores: 8, cpu: samples, broker })), 'schedule_slipped');
    const short = 1 - sch.achieved_per_second! / sch.asked_per_second!;
    expect(slipped.evidence).toMatchObject({
      short_share: Math.round(short * 1000) / 1000,
      cores: 8,
      generator_cores: 0.6,
      broker_cores: 0.97,
      broker_threads: 1,
      broker_pid: 4242,
    });
    expect(slipped.message).toContain(`(${Math.round(short * 100)}% short of the rate asked)`);
    expect(slipped.message).toContain(
      "While the schedule ran the generator's processes used 0.6 of the 8 cores and mosquitto (pid 4242) 97% of the one core its thread can use",
    );
    expect(slipped.message).toContain("Limited by the broker's CPU");
    // a remote broker: the generator's side alone, and that the broker's is unknown
    const remote = find(
      findingsOf(s, facts({ cores: 8, cpu: samples.map((x) => ({ ...x, broker: null })) })),
      'schedule_slipped',
    );
    expect(remote.message).toContain(
      "While the schedule ran the generator's processes used 0.6 of the 8 cores; the broker's CPU is unknown",
    );
    expect(remote.evidence).toMatchObject({ broker_cores: null, broker_pid: null });
    // a merge has no CPU samples: the shortfall alone
    const merged = find(findingsOf(s), 'schedule_slipped');
    expect(merged.message).not.toContain('While the schedule ran');
    expect(merged.evidence.short_share).toBe(slipped.evidence.short_share);
  });

  it('event-loop lag explains a slip when no CPU is full', () => {
    const s = summaryOf({ n: 400, every: 5, lag: (i) => (i % 3) * 150 }, { event_loop_lag_p99_ms: 140 });
    expect(codes(findingsOf(s, facts()))).toEqual(['schedule_slipped', 'event_loop_lag']);
  });
});

describe('findings: what the histograms show', () => {
  it('TCP connects clustered at ~1 s and ~3 s are SYN retries', () => {
    // 1000 connects of ~0.5 ms; 31 retried once (1 s + a little), 7 twice (3 s + a little)
    const tcp = (i: number): number => (i % 33 === 0 ? 1000.4 + (i % 7) : i % 166 === 1 ? 3000.6 : 0.5);
    const s = summaryOf({ n: 1000, every: 5, tcp });
    const found = findingsOf(s, facts({ net: { synRetransmits: 42, listenOverflows: 0 } }));
    const f = find(found, 'syn_retries');
    expect(f.evidence).toMatchObject({ tcp_count: 1000, near_1s: 31, near_3s: 7, kernel_syn_retransmits: 42 });
    expect(f.message).toMatch(/^31 TCP connects took ~1 s and 7 ~3 s/);
    expect(f.message).toContain('mosquitto listens with 100');
    // the same histogram without facts (a merge): the cluster alone
    expect(codes(findingsOf(s))).toContain('syn_retries');
    // the kernel resent no SYN: the cluster was a stall, not retries
    expect(codes(findingsOf(s, facts()))).not.toContain('syn_retries');
  });

  it('a broad tail through 1 s is no cluster', () => {
    const s = summaryOf({ n: 1000, every: 5, tcp: (i) => (i * 7) % 2000 });
    expect(codes(findingsOf(s, facts({ net: { synRetransmits: 50, listenOverflows: 0 } })))).not.toContain(
      'syn_retries',
    );
  });

  it('CONNACKs clustered at ~40 ms are Nagle and the delayed ACK', () => {
    const connack = (i: number): number => (i % 4 === 0 ? 40.2 + (i % 3) : 0.6);
    const f = find(findingsOf(summaryOf({ n: 800, every: 5, connack }), facts()), 'nagle_delayed_ack');
    expect(f.evidence).toMatchObject({ connack_count: 800, near_40ms: 200, share: 0.25 });
    expect(f.message).toContain('set_tcp_nodelay true');
  });

  it('CONNACKs spread evenly over 0–100 ms are not', () => {
    const s = summaryOf({ n: 1000, every: 5, connack: (i) => (i * 37) % 100 });
    expect(codes(findingsOf(s, facts()))).not.toContain('nagle_delayed_ack');
  });

  it('listen-queue overflows the kernel counted, with the broker on this machine', () => {
    const broker = { name: 'mosquitto', threads: 1 };
    const net = { synRetransmits: 9, listenOverflows: 12 };
    const quiet = summaryOf({ n: 100, every: 5 });
    const f = find(findingsOf(quiet, facts({ broker, net })), 'listen_backlog');
    expect(f.evidence).toEqual({ listen_overflows: 12, syn_retransmits: 9, near_1s: null, near_3s: null });
    expect(f.message).toMatch(
      /^The kernel counted 12 listen-queue overflows .* connections mosquitto had not accepted/,
    );
    // a remote broker's overflows are not counted here
    expect(codes(findingsOf(quiet, facts({ net })))).toEqual(['schedule_kept']);
    // the SYN retries they caused are part of the same finding
    const retried = summaryOf({ n: 1000, every: 5, tcp: (i) => (i % 20 === 0 ? 1000.5 + (i % 9) * 20 : 0.5) });
    const both = findingsOf(retried, facts({ broker, net: { synRetransmits: 60, listenOverflows: 70 } }));
    expect(codes(both)).toEqual(['listen_backlog', 'schedule_kept']);
    expect(both[0]!.evidence).toMatchObject({ near_1s: 50, near_3s: 0 });
  });
});

describe('findings: limits, resumption, saturation', () => {
  it('open files and ports close to their limits', () => {
    const s = summaryOf({ n: 100, every: 5 });
    const found = findingsOf(
      s,
      facts({
        fds: { perProcess: 17_000, usable: 19_900, limit: 20_000 },
        ports: { perPair: 25_000, available: 28_232, pairs: 1 },
      }),
    );
    expect(codes(found)).toEqual(['fds', 'ports', 'schedule_kept']);
    expect(find(found, 'fds').evidence).toMatchObject({ peak_per_process: 17_000, fd_limit: 20_000 });
    expect(find(found, 'ports').message).toMatch(/--source-ips/);
  });

  it('resumption: the share that resumed against the share asked', () => {
    const base = summaryOf({ n: 100, every: 5 });
    const with_ = (resumed: number, reconnects: number, offered: number): Finding[] =>
      findingsOf(
        {
          ...base,
          resumption: {
            full: 100,
            resumed,
            tls_full: base.latency.tls,
            tls_resumed: base.latency.tls,
            asked_ratio: 0.5,
            reconnects,
            offered,
          },
        },
        facts(),
      );
    const refused = find(with_(0, 200, 104), 'resumption');
    expect(refused.severity).toBe('warning');
    expect(refused.message).toMatch(/^Only 0 of 200 reconnects \(0%\) resumed .* refused 104 of the 104/);
    expect(find(with_(97, 200, 104), 'resumption').severity).toBe('info');
    expect(find(with_(0, 0, 0), 'resumption').message).toMatch(/no device reconnected/);
  });

  it('every saturation reason is an error, first', () => {
    const s = summaryOf(
      { n: 100, every: 5 },
      { saturated: true, saturation_reasons: ['connection worker event-loop lag p99 340 ms > 200 ms', 'x'] },
    );
    const found = findingsOf(s, facts());
    expect(codes(found)).toEqual(['generator_saturated', 'generator_saturated', 'schedule_kept']);
    expect(found[0]!.severity).toBe('error');
    expect(found[0]!.evidence.reason).toBe('connection worker event-loop lag p99 340 ms > 200 ms');
  });
});

describe('findings of a merge', () => {
  /** Shard `index` of 2: 500 attempts at 100/s each (200/s together), the second slipped behind its cap. */
  function shard(index: number): Summary {
    const slipped = index === 1;
    const s = summaryOf({
      n: 500,
      every: 10,
      lag: (i) => (slipped ? i * 4 : 0.3),
      waited: (i) => slipped && i > 0,
    });
    s.run = { ...s.run, shard: { index, count: 2, first: index * 500, last: index * 500 + 499 } };
    s.findings = findingsOf(s, facts({ fds: { perProcess: 19_000, usable: 19_900, limit: 20_000 } }));
    return s;
  }

  it('draws the schedule again from the merged data and keeps what only a shard could see, labelled', () => {
    const a = shard(0);
    const b = shard(1);
    expect(codes(a.findings)).toEqual(['fds', 'schedule_kept']);
    const merged = mergeSummaries([a, b]);
    const sch = merged.schedule!;
    expect(sch.attempts).toBe(1000);
    expect(sch.waited_for_in_flight).toBe(a.schedule!.waited_for_in_flight + b.schedule!.waited_for_in_flight);
    expect(sch.start_lag.count).toBe(1000);
    expect(sch.in_flight_cap).toBe(200);
    // both shards over the same second: 1000 attempts asked at 200/s
    expect(sch.asked_per_second).toBeCloseTo(200, 0);
    expect(codes(merged.findings)).toEqual(['schedule_slipped', 'in_flight_cap', 'fds', 'fds']);
    const fds = merged.findings.filter((f) => f.code === 'fds');
    expect(fds.map((f) => f.evidence.shard)).toEqual(['1/2', '2/2']);
    expect(fds[0]!.message).toMatch(/^shard 1\/2: At the peak/);
  });
});
