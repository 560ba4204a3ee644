/**
 * The exporter serves exactly the contract's herd_* families (names, types, labels, base
 * unit seconds) plus prom-client's process metrics, with values computed from the
 * coordinator's Aggregator, and promtool accepts the output.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { HerdExporter } from '../../src/metrics/exporter.js';
import { DURATION_BUCKETS_S } from '../../src/model/names.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { LIVE_LOSS_GRACE_MS, type StreamPlan } from '../../src/metrics/messages.js';
import { parseExposition, promtool, type ExpositionFamily } from '../helpers/prometheus.js';

/** The contract's Prometheus table: type and label names of every herd_ family. */
const CONTRACT: Record<string, [type: string, labels: string[]]> = {
  herd_phase_duration_seconds: ['histogram', ['phase']],
  herd_connect_duration_seconds: ['histogram', []],
  herd_connect_attempts_total: ['counter', []],
  herd_connections_established_total: ['counter', []],
  herd_connect_failures_total: ['counter', ['phase', 'reason']],
  herd_unexpected_accepts_total: ['counter', ['fault']],
  herd_connections_active: ['gauge', []],
  herd_certs_minted_total: ['counter', []],
  herd_cert_mint_duration_seconds: ['histogram', []],
  herd_generator_event_loop_lag_seconds: ['gauge', ['worker']],
  herd_run_info: ['gauge', ['run_id', 'scenario', 'shard']],
  herd_session_drops_total: ['counter', ['reason']],
  herd_messages_published_total: ['counter', ['stream', 'qos']],
  herd_messages_received_total: ['counter', ['stream']],
  herd_messages_lost_total: ['counter', ['stream']],
  herd_messages_duplicated_total: ['counter', ['stream']],
  herd_publish_ack_duration_seconds: ['histogram', ['qos']],
  herd_message_delivery_duration_seconds: ['histogram', ['stream']],
  herd_command_rtt_seconds: ['histogram', []],
  herd_bytes_total: ['counter', ['direction']],
};

const exporters: HerdExporter[] = [];
afterEach(async () => {
  await Promise.all(exporters.splice(0).map((e) => e.close()));
});

function exporter(): HerdExporter {
  const e = new HerdExporter({ runId: 'run-1', scenario: 'unit', shard: 3 });
  exporters.push(e);
  return e;
}

/**
 * `devices` attempts spread over `workers` recorders, merged by an Aggregator: every 50th
 * fails in TLS, every 97th is refused, every 40th is a faulty device (expired rejected,
 * revoked accepted). Durations grow with the device index (1 ms … ~1 s end to end).
 */
function simulate(devices: number, workers = 2): Aggregator {
  const agg = new Aggregator();
  const recs = Array.from({ length: workers }, () => new Recorder());
  for (let i = 0; i < devices; i++) {
    const r = recs[i % workers]!;
    r.attempt();
    const ms = 1 + (i % 1000);
    r.recordPhase('tcp', 200 + i);
    if (i % 97 === 0) {
      r.failure('tcp', 'tcp_refused');
      continue;
    }
    r.recordPhase('tls', ms * 400);
    if (i % 50 === 0) {
      r.failure('tls', 'tls_alert_handshake_failure');
      continue;
    }
    if (i % 40 === 1) {
      r.rejectedAsExpected('expired', 'tls', 'tls_alert_certificate_expired');
      continue;
    }
    r.recordPhase('connack', ms * 500);
    r.recordPhase('connect', ms * 1000);
    if (i % 40 === 2) r.acceptedUnexpectedly('revoked');
    else r.connected();
    r.active(1);
  }
  recs.forEach((r, w) => agg.ingest(r.drain(), w));
  return agg;
}

function sample(
  f: ExpositionFamily | undefined,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return f?.samples.find(
    (s) =>
      s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
      Object.keys(s.labels).length === Object.keys(labels).length,
  )?.value;
}

describe('exporter families', () => {
  it('serves exactly the contract herd_ families, with their types and label names, before any data', async () => {
    const fams = parseExposition(await exporter().metrics());
    const herd = [...fams.values()].filter((f) => f.name.startsWith('herd_'));
    expect(herd.map((f) => f.name).sort()).toEqual(Object.keys(CONTRACT).sort());
    for (const f of herd) {
      const [type, labels] = CONTRACT[f.name]!;
      expect(f.type, f.name).toBe(type);
      for (const s of f.samples) {
        const names = Object.keys(s.labels)
          .filter((l) => l !== 'le')
          .sort();
        expect(names, `${s.name} ${JSON.stringify(s.labels)}`).toEqual([...labels].sort());
      }
    }
    // the unlabelled counters and histograms are there from the first scrape, at 0
    expect(sample(fams.get('herd_connect_attempts_total'), 'herd_connect_attempts_total')).toBe(0);
    expect(sample(fams.get('herd_connect_duration_seconds'), 'herd_connect_duration_seconds_count')).toBe(0);
    expect(sample(fams.get('herd_run_info'), 'herd_run_info', { run_id: 'run-1', scenario: 'unit', shard: '3' })).toBe(
      1,
    );
    // prom-client's process metrics are there too
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(fams.has(name), name).toBe(true);
    }
  });

  it('counts are the aggregate over workers', async () => {
    const agg = simulate(2000, 3);
    const e = exporter();
    e.attach(agg);
    const fams = parseExposition(await e.metrics());
    const c = agg.counts();
    expect(c.failed).toBeGreaterThan(0);
    expect(sample(fams.get('herd_connect_attempts_total'), 'herd_connect_attempts_total')).toBe(2000);
    expect(sample(fams.get('herd_connections_established_total'), 'herd_connections_established_total')).toBe(
      c.connected,
    );
    expect(sample(fams.get('herd_connections_active'), 'herd_connections_active')).toBe(agg.active);
    const failures = fams.get('herd_connect_failures_total')!.samples;
    expect(failures.map((s) => [s.labels.phase, s.labels.reason, s.value]).sort()).toEqual(
      agg
        .failures()
        .map((f) => [f.phase, f.reason, f.count])
        .sort(),
    );
    const sec = agg.security();
    expect(
      fams
        .get('herd_unexpected_accepts_total')!
        .samples.map((s) => [s.labels.fault, s.value])
        .sort(),
    ).toEqual(sec.map((s) => [s.fault, s.accepted]).sort());
    expect(
      sample(fams.get('herd_unexpected_accepts_total'), 'herd_unexpected_accepts_total', { fault: 'revoked' }),
    ).toBeGreaterThan(0);
    expect(
      sample(fams.get('herd_unexpected_accepts_total'), 'herd_unexpected_accepts_total', { fault: 'expired' }),
    ).toBe(0);
  });

  it('histograms come from the merged HDR histograms: 1 ms … 30 s buckets, cumulative, +Inf = count, sum in seconds', async () => {
    const agg = simulate(2000, 2);
    const e = exporter();
    e.attach(agg);
    const fams = parseExposition(await e.metrics());
    const check = (fam: string, labels: Record<string, string>, phase: 'tcp' | 'tls' | 'connack' | 'connect'): void => {
      const f = fams.get(fam)!;
      const buckets = f.samples.filter(
        (s) => s.name === `${fam}_bucket` && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      expect(buckets.map((s) => s.labels.le)).toEqual([...DURATION_BUCKETS_S.map(String), '+Inf']);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      const h = agg.histogram(phase);
      expect(buckets.at(-1)!.value).toBe(h.totalCount);
      expect(sample(f, `${fam}_count`, labels)).toBe(h.totalCount);
      // HDR keeps microseconds: the sum is the mean times the count, in seconds (within 0.1%)
      expect(sample(f, `${fam}_sum`, labels)! / (h.mean * h.totalCount * 1e-6)).toBeCloseTo(1, 2);
      // the bucket holding the median holds the HDR median
      const p50 = h.getValueAtPercentile(50) / 1e6;
      const i50 = buckets.findIndex((b) => b.value >= h.totalCount / 2);
      expect(p50).toBeLessThanOrEqual(Number(buckets[i50]!.labels.le) * 1.001);
      if (i50 > 0) expect(p50).toBeGreaterThan(Number(buckets[i50 - 1]!.labels.le) * 0.999);
    };
    check('herd_connect_duration_seconds', {}, 'connect');
    for (const phase of ['tcp', 'tls', 'connack'] as const) check('herd_phase_duration_seconds', { phase }, phase);
    expect(
      fams
        .get('herd_phase_duration_seconds')!
        .samples.filter((s) => s.labels.le === '+Inf')
        .map((s) => s.labels.phase),
    ).toEqual(['tcp', 'tls', 'ws', 'connack', 'subscribe']);
  });

  it('promtool check metrics accepts the output, empty and full', async () => {
    const empty = exporter();
    const full = exporter();
    full.attach(simulate(500));
    full.workerLag(0, 12);
    full.mintProgress(2)({ done: 100, seconds: 0.05 });
    for (const text of [await empty.metrics(), await full.metrics()]) {
      const r = promtool(['check', 'metrics'], text);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it('has no per-device label: 10x the devices, the same series', async () => {
    const small = exporter();
    const big = exporter();
    small.attach(simulate(1000));
    big.attach(simulate(10_000));
    const series = async (e: HerdExporter): Promise<string[]> =>
      [...parseExposition(await e.metrics()).values()]
        .filter((f) => f.name.startsWith('herd_'))
        .flatMap((f) => f.samples.map((s) => `${s.name}${JSON.stringify(s.labels)}`))
        .sort();
    const a = await series(small);
    const b = await series(big);
    expect(b.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
  });

  it('event-loop lag per worker and for the coordinator, in seconds', async () => {
    const e = exporter();
    e.workerLag(1, 250);
    e.workerLag(0, 12.5);
    const f = parseExposition(await e.metrics()).get('herd_generator_event_loop_lag_seconds')!;
    expect(f.samples.map((s) => s.labels.worker)).toEqual(['0', '1', 'coordinator']);
    expect(sample(f, 'herd_generator_event_loop_lag_seconds', { worker: '0' })).toBe(0.0125);
    expect(sample(f, 'herd_generator_event_loop_lag_seconds', { worker: '1' })).toBe(0.25);
  });

  it('mint progress becomes the minted counter and a per-certificate duration histogram', async () => {
    const e = exporter();
    const progress = e.mintProgress(4);
    progress({ done: 256, seconds: 0.128 }); // 4 threads: 0.128 s × 4 / 256 = 2 ms each
    progress({ done: 256, seconds: 0.2 }); // nothing written yet: the time counts for the next ones
    progress({ done: 300, seconds: 0.216 }); // (0.216 - 0.128) × 4 / 44 = 8 ms each
    const fams = parseExposition(await e.metrics());
    expect(sample(fams.get('herd_certs_minted_total'), 'herd_certs_minted_total')).toBe(300);
    const h = fams.get('herd_cert_mint_duration_seconds')!;
    expect(sample(h, 'herd_cert_mint_duration_seconds_count')).toBe(300);
    expect(sample(h, 'herd_cert_mint_duration_seconds_sum')).toBeCloseTo(256 * 0.002 + 44 * 0.008, 3);
    expect(sample(h, 'herd_cert_mint_duration_seconds_bucket', { le: '0.001' })).toBe(0);
    expect(sample(h, 'herd_cert_mint_duration_seconds_bucket', { le: '0.0025' })).toBe(256);
    expect(sample(h, 'herd_cert_mint_duration_seconds_bucket', { le: '0.0075' })).toBe(256);
    expect(sample(h, 'herd_cert_mint_duration_seconds_bucket', { le: '0.01' })).toBe(300);
  });

  it('traffic: messages per stream and QoS, loss once a message is past the grace window, exact at the end', async () => {
    const plans: StreamPlan[] = [
      { name: 'telemetry', qos: 1, receivers: 2 },
      { name: 'commands', qos: 1, receivers: 1 },
    ];
    const t0 = 1_000_000;
    const agg = new Aggregator({ startedAt: t0, now: () => t0 });
    const pub = new Recorder({ now: () => t0 });
    const sub = new Recorder({ now: () => t0 });
    for (let i = 0; i < 100; i++) pub.messages.published(0, 64, false);
    for (let i = 0; i < 100; i++) pub.messages.acked(0, 1, 2_000 + i * 10);
    for (let i = 0; i < 190; i++) sub.messages.delivered(0, 64, 5_000, 'new');
    sub.messages.delivered(0, 64, 5_000, 'duplicate');
    for (let i = 0; i < 4; i++) pub.messages.published(1, 30, false);
    for (let i = 0; i < 3; i++) pub.messages.delivered(1, 30, 9_000, 'new');
    for (let i = 0; i < 3; i++) pub.messages.commandRtt(9_000);
    agg.ingest({ ...pub.drain(), to: t0 }, 0);
    agg.ingest({ ...sub.drain(), to: t0 }, 1);
    const e = exporter();
    e.attach(agg, plans);
    const scrape = async (): Promise<Map<string, ExpositionFamily>> => parseExposition(await e.metrics());
    let fams = await scrape();
    const one = (fam: string, labels: Record<string, string> = {}, name = fam): number | undefined =>
      sample(fams.get(fam), name, labels);
    expect(one('herd_messages_published_total', { stream: 'telemetry', qos: '1' })).toBe(100);
    expect(one('herd_messages_published_total', { stream: 'commands', qos: '1' })).toBe(4);
    expect(one('herd_messages_received_total', { stream: 'telemetry' })).toBe(191);
    expect(one('herd_messages_duplicated_total', { stream: 'telemetry' })).toBe(1);
    expect(one('herd_bytes_total', { direction: 'out' })).toBe(100 * 64 + 4 * 30);
    expect(one('herd_bytes_total', { direction: 'in' })).toBe(191 * 64 + 3 * 30);
    expect(one('herd_publish_ack_duration_seconds', { qos: '1' }, 'herd_publish_ack_duration_seconds_count')).toBe(100);
    expect(
      one(
        'herd_message_delivery_duration_seconds',
        { stream: 'telemetry' },
        'herd_message_delivery_duration_seconds_count',
      ),
    ).toBe(190);
    expect(one('herd_command_rtt_seconds', {}, 'herd_command_rtt_seconds_count')).toBe(3);
    // just published: in flight, not lost yet
    expect(one('herd_messages_lost_total', { stream: 'telemetry' })).toBe(0);
    // the live count uses the scrape's clock: published more than the grace window ago
    expect(agg.messages.lost(0, 2, t0 + LIVE_LOSS_GRACE_MS)).toBe(10);
    expect(agg.messages.lost(1, 1, t0 + LIVE_LOSS_GRACE_MS)).toBe(1);
    // a late delivery does not make the live counter go down
    const late = new Recorder({ now: () => t0 });
    for (let i = 0; i < 5; i++) late.messages.delivered(0, 64, 40_000_000, 'new');
    agg.ingest({ ...late.drain(), to: t0 + LIVE_LOSS_GRACE_MS + 1 }, 1);
    expect(agg.messages.lost(0, 2, t0 + LIVE_LOSS_GRACE_MS + 2)).toBe(10);
    // the run ended: exact
    agg.messages.end();
    fams = await scrape();
    expect(one('herd_messages_lost_total', { stream: 'telemetry' })).toBe(5);
    expect(one('herd_messages_lost_total', { stream: 'commands' })).toBe(1);
    const r = promtool(['check', 'metrics'], await e.metrics());
    expect(r.stdout + r.stderr).toBe('');
  });
});
