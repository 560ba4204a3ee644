/**
 * A real Prometheus (own config, 1 s scrapes, temporary storage, the shipped recording
 * rules) scrapes three real `herd run`s at once, each lingering so the last scrape lands:
 *   A  150 devices from a store with expired and revoked devices, embedded broker, SUBSCRIBE
 *   C  the same with 10x the devices (1500)
 *   B  100 freshly minted devices against a closed port (every attempt tcp_refused)
 *   D  20 sessions on a mosquitto stopped under them (session drops)
 *   E  20 devices with traffic: QoS 1 telemetry to a subscriber, and a controller's commands
 * Then, over Prometheus's HTTP API: the counters equal each run's summary.json, failures
 * carry their reasons, histogram_quantile agrees with the HDR percentiles, every PromQL
 * expression of the dashboard and every recording rule returns data, and C has exactly
 * the series of A.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DURATION_BUCKETS_S, METRIC } from '../../src/model/names.js';
import { MESSAGE_METRIC } from '../../src/model/messages.js';
import type { Summary } from '../../src/model/summary.js';
import { freePort } from '../helpers/net.js';
import { herd, herdPki, spawnHerd, type HerdResult, readSummaryAt } from '../helpers/herd.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';
import {
  dashboardQueries,
  parseExposition,
  promtool,
  Prometheus,
  substitute,
  type DashboardJson,
} from '../helpers/prometheus.js';

const ROOT = join(import.meta.dirname, '../..');
const RULES = join(ROOT, 'dashboards/herd.rules.yml');
const DASHBOARD = join(ROOT, 'dashboards/mqtt-herd.json');

function ok(r: HerdResult, what: string, codes = [0, 97, 98]): void {
  // 0 pass, 97 inconclusive (a busy 2-core machine), 98 insecure (revoked accepted: no CRL)
  if (!codes.includes(r.code ?? -1)) throw new Error(`${what} exited ${r.code}: ${r.stderr}`);
}

const dir = mkdtempSync(join(tmpdir(), 'herd-prom-'));
let prom: Prometheus;
const port = { a: 0, b: 0, c: 0, d: 0, e: 0 };
const summary: Record<'a' | 'b' | 'c' | 'd' | 'e', Summary> = {} as never;
const RUNS = ['a', 'b', 'c', 'd', 'e'] as const;

/** Run E's scenario: every traffic family gets series (publish acks at QoS 1, deliveries, command round trips). */
const TRAFFIC = `name: scrape-traffic
devices: { count: 20, id_template: "dev-{i}", key: p256, seed: 9 }
mqtt: { version: 5, keepalive: 30, clean: true }
load: { executor: arrival-rate, rate: 100/s, hold: 4s }
traffic:
  - kind: telemetry
    name: telemetry
    topic: "devices/{id}/telemetry"
    every: 250ms
    payload: 64
    qos: 1
  - kind: subscribers
    count: 1
    filter: "devices/+/telemetry"
    qos: 1
  - kind: commands
    name: commands
    controllers: 1
    rate: 20/s
    command_topic: "devices/{id}/commands"
    response_topic: "devices/{id}/responses"
    qos: 1
`;
let live = '';
let t0 = 0;
let t1 = 0;
const inst = (p: number): string => `127.0.0.1:${p}`;

/** The value of a series at the end of its run (stale markers do not count in a range). */
async function last(metric: string, p: number, extra = ''): Promise<number[]> {
  const r = await prom.query(`last_over_time(${metric}{instance="${inst(p)}"${extra}}[5m])`);
  return r.map((s) => Number(s.value![1]));
}

beforeAll(async () => {
  const pki = join(dir, 'pki');
  const store = join(dir, 'faulty.store');
  // six distinct ports, free a moment ago: five exporters and one nobody listens on
  const ports = new Set<number>();
  while (ports.size < 6) ports.add(await freePort());
  const [a0, b0, c0, d0, e0, closed] = [...ports] as [number, number, number, number, number, number];
  Object.assign(port, { a: a0, b: b0, c: c0, d: d0, e: e0 });
  // Prometheus starts (and takes its first scrapes) while the devices are minted
  const started = Prometheus.start({
    targets: RUNS.map((k) => inst(port[k])),
    ruleFiles: [RULES],
    scrapeInterval: '1s',
  });
  try {
    ok(await herd(['pki', 'ca', '--out', pki]), 'pki ca');
    ok(
      await herd([
        'pki',
        'mint',
        '--ca',
        pki,
        '--count',
        '1500',
        '--seed',
        '7',
        '--faults',
        'expired=4%,revoked=4%',
        '--out',
        store,
        '--quiet',
      ]),
      'pki mint',
    );
  } finally {
    prom = await started;
  }
  t0 = Math.floor(Date.now() / 1000);
  writeFileSync(join(dir, 'traffic.yaml'), TRAFFIC);
  const common = [
    '--pki',
    pki,
    '--store',
    store,
    '--workers',
    '2',
    '--hold',
    '1s',
    '--subscribe',
    'device/{id}/commands',
    '--linger',
    '3s',
    '-q',
  ];
  const runs = Promise.all([
    herd([
      'run',
      ...common,
      '--devices',
      '150',
      '--rate',
      '150/s',
      '--metrics-port',
      String(port.a),
      '--out',
      join(dir, 'a'),
    ]),
    herd([
      'run',
      '--target',
      `mqtts://127.0.0.1:${closed}`,
      '--pki',
      pki,
      '--devices',
      '100',
      '--rate',
      '200/s',
      '--workers',
      '2',
      '--hold',
      '0s',
      '--linger',
      '3s',
      '-q',
      '--metrics-port',
      String(port.b),
      '--out',
      join(dir, 'b'),
    ]),
    herd([
      'run',
      ...common,
      '--devices',
      '1500',
      '--rate',
      '750/s',
      '--metrics-port',
      String(port.c),
      '--out',
      join(dir, 'c'),
    ]),
  ]);
  // one scrape of A while it runs, for promtool
  for (let i = 0; i < 100 && !/^herd_connections_established_total [1-9]/m.test(live); i++) {
    await new Promise((r) => setTimeout(r, 100));
    live = await fetch(`http://${inst(port.a)}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
  }
  const [[a, b, c], d] = await Promise.all([runs, droppedSessions()]);
  // E after the others, so its traffic does not slow their connects on a small machine
  const e = await herd(
    [
      'run',
      join(dir, 'traffic.yaml'),
      '--pki',
      pki,
      '--workers',
      '2',
      '--linger',
      '3s',
      '-q',
      '--metrics-port',
      String(port.e),
      '--out',
      join(dir, 'e'),
    ],
    90_000,
  );
  t1 = Math.ceil(Date.now() / 1000);
  ok(a, 'run A');
  // B's broker is a closed port: nothing connects, so the default gates fail it (99)
  ok(b, 'run B', [99, 97]);
  ok(c, 'run C');
  // D's broker went away under its sessions: the default gate on session drops fails it (99)
  ok(d, 'run D', [99, 97]);
  ok(e, 'run E');
  for (const k of RUNS) summary[k] = readSummaryAt(join(dir, k, 'summary.json'));
}, 120_000);

/**
 * Run D: 20 sessions held on a mosquitto that is stopped once all are up, so the broker
 * ends every one of them (herd_session_drops_total has data).
 */
async function droppedSessions(): Promise<HerdResult> {
  const pki = join(dir, 'pki-d');
  const m = await startMosquitto(await herdPki(pki));
  let stopped = false;
  try {
    const { done } = spawnHerd([
      'run',
      '--target',
      `mqtts://127.0.0.1:${m.port}`,
      '--pki',
      pki,
      '--devices',
      '20',
      '--rate',
      '100/s',
      '--hold',
      '60s',
      '--metrics-port',
      String(port.d),
      '--linger',
      '3s',
      '--out',
      join(dir, 'd'),
      '-q',
    ]);
    const established = (): Promise<number> =>
      fetch(`http://${inst(port.d)}/metrics`)
        .then((r) => r.text())
        .then(
          (t) => Number(/^herd_connections_established_total (\d+)/m.exec(t)?.[1] ?? 0),
          () => 0,
        );
    await until(async () => (await established()) === 20, 'the 20 sessions of run D');
    await m.stop();
    stopped = true;
    return await done;
  } finally {
    if (!stopped) await m.stop();
  }
}

afterAll(async () => {
  await prom?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a real Prometheus scraping real runs', () => {
  it('promtool check metrics passes on a live scrape, which has every contract family', () => {
    expect(live).toMatch(/^herd_connections_established_total [1-9]/m);
    const r = promtool(['check', 'metrics'], live);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
    const names = [...parseExposition(live).keys()].filter((n) => n.startsWith('herd_'));
    // Every family of the contract is exposed, traffic ones included (they hold no series
    // until a run has traffic), and nothing else under the herd_ prefix.
    expect(names.sort()).toEqual([...Object.values(METRIC), ...Object.values(MESSAGE_METRIC)].sort());
  });

  it('the established and attempt counters equal each run summary', async () => {
    for (const k of RUNS) {
      const s = summary[k];
      expect(await last('herd_connections_established_total', port[k]), k).toEqual([s.counts.connected]);
      expect(await last('herd_connect_attempts_total', port[k]), k).toEqual([s.counts.attempted]);
    }
    expect(summary.a.counts.connected).toBeGreaterThan(100);
    expect(summary.c.counts.connected).toBeGreaterThan(1000);
    expect(summary.b.counts.connected).toBe(0);
  });

  it('session drops by reason equal the summary: every session of D ended by its broker', async () => {
    const r = await prom.query(`last_over_time(herd_session_drops_total{instance="${inst(port.d)}"}[5m])`);
    const got = r.map((s) => [s.metric.reason, Number(s.value![1])]).sort();
    const want = summary.d.failures.filter((f) => f.phase === 'session').map((f) => [f.reason, f.count]);
    expect(got).toEqual(want.sort());
    expect(summary.d.counts).toMatchObject({ connected: 20, session_drops: 20 });
  });

  it('failure counters carry the reasons: tcp_refused from the closed port, the same set as the summaries', async () => {
    const refused = await last('herd_connect_failures_total', port.b, ',phase="tcp",reason="tcp_refused"');
    expect(refused).toEqual([100]);
    for (const k of RUNS) {
      const r = await prom.query(`last_over_time(herd_connect_failures_total{instance="${inst(port[k])}"}[5m])`);
      const got = r.map((s) => [s.metric.phase, s.metric.reason, Number(s.value![1])]).sort();
      expect(got, k).toEqual(summary[k].failures.map((f) => [f.phase, f.reason, f.count]).sort());
      // every faulty kind the run met has its unexpected-accepts series, with the summary's count
      const u = await prom.query(`last_over_time(herd_unexpected_accepts_total{instance="${inst(port[k])}"}[5m])`);
      expect(u.map((s) => [s.metric.fault, Number(s.value![1])]).sort(), k).toEqual(
        summary[k].security.map((x) => [x.fault, x.accepted]).sort(),
      );
    }
    expect(summary.a.security.map((x) => x.fault).sort()).toEqual(['expired', 'revoked']);
  });

  it('histogram_quantile of the connect duration lands in the bucket of the HDR percentile', async () => {
    for (const k of ['a', 'c'] as const) {
      for (const [q, ms] of [
        [0.5, summary[k].latency.connect.p50],
        [0.99, summary[k].latency.connect.p99],
      ] as const) {
        const r = await prom.query(
          `histogram_quantile(${q}, last_over_time(herd_connect_duration_seconds_bucket{instance="${inst(port[k])}"}[5m]))`,
        );
        const est = Number(r[0]!.value![1]);
        const s = ms / 1000;
        const hi = DURATION_BUCKETS_S.find((b) => b >= s * 0.999) ?? Infinity;
        const lo = [...DURATION_BUCKETS_S].reverse().find((b) => b < hi) ?? 0;
        expect(est, `${k} p${q * 100} = ${est}s, HDR ${s}s`).toBeGreaterThanOrEqual(lo * 0.999);
        expect(est, `${k} p${q * 100} = ${est}s, HDR ${s}s`).toBeLessThanOrEqual(hi * 1.001);
      }
    }
  });

  it('the mint counter and per-certificate histogram count what B minted', async () => {
    expect(summary.b.mint.count).toBe(100);
    expect(await last('herd_certs_minted_total', port.b)).toEqual([100]);
    expect(await last('herd_cert_mint_duration_seconds_count', port.b)).toEqual([100]);
    expect(await last('herd_certs_minted_total', port.a)).toEqual([0]);
  });

  it('the traffic counters and histograms equal E’s summary, per stream', async () => {
    const m = summary.e.messages!;
    expect(m.telemetry!.published).toBeGreaterThan(0);
    expect(m.commands!.published).toBeGreaterThan(0);
    for (const [stream, s] of Object.entries(m)) {
      const at = `,stream="${stream}"`;
      expect(await last(MESSAGE_METRIC.published, port.e, at), stream).toEqual([s.published]);
      expect(await last(MESSAGE_METRIC.received, port.e, at), stream).toEqual([s.delivered]);
      expect(await last(MESSAGE_METRIC.lost, port.e, at), stream).toEqual([s.lost]);
      expect(await last(MESSAGE_METRIC.duplicated, port.e, at), stream).toEqual([s.duplicated]);
    }
    expect(await last(`${MESSAGE_METRIC.publishAck}_count`, port.e, ',qos="1"')).toEqual([
      summary.e.latency.publish_ack!.count,
    ]);
    expect(await last(`${MESSAGE_METRIC.delivery}_count`, port.e, ',stream="telemetry"')).toEqual([
      m.telemetry!.delivered - m.telemetry!.duplicated,
    ]);
    expect(await last(`${MESSAGE_METRIC.commandRtt}_count`, port.e)).toEqual([summary.e.latency.command_rtt!.count]);
    const out = await last(MESSAGE_METRIC.bytes, port.e, ',direction="out"');
    expect(out).toEqual([m.telemetry!.bytes + m.commands!.bytes]);
  });

  it('herd_run_info joins every generator to its run id and shard', async () => {
    const r = await prom.query(
      'last_over_time(herd_connections_established_total[5m]) * on(job, instance) group_left(run_id, shard) last_over_time(herd_run_info[5m])',
    );
    const got = r.map((s) => [s.metric.run_id, s.metric.shard, Number(s.value![1])]).sort();
    expect(got).toEqual(RUNS.map((k) => [summary[k].run.id, '0', summary[k].counts.connected]).sort());
  });

  it('every PromQL expression of the dashboard evaluates without error and returns data', async () => {
    const q = dashboardQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8')) as DashboardJson);
    const all = { scenario: '.*', run: '.*', shard: '.*', __rate_interval: '5s' };
    const failures: string[] = [];
    let evaluated = 0;
    // The traffic families hold series only in a run with traffic: their panels must evaluate,
    // and must return data as soon as one of this test's runs has traffic.
    const traffic = RUNS.some((k) => Object.keys(summary[k].messages ?? {}).length > 0);
    const trafficFamilies = Object.values(MESSAGE_METRIC);
    let withoutTraffic = 0;
    for (const t of q.targets) {
      const phases = t.repeat ? q.custom[t.repeat]! : [undefined];
      const ofTraffic = trafficFamilies.some((m) => t.expr.includes(m));
      for (const phase of phases) {
        const expr = substitute(t.expr, phase === undefined ? all : { ...all, [t.repeat!]: phase });
        evaluated++;
        try {
          const r = await prom.queryRange(expr, t0, t1, 1);
          if (r.length === 0 && ofTraffic && !traffic) withoutTraffic++;
          else if (r.length === 0)
            failures.push(`no data: ${t.panel} ${t.refId}${phase ? ` (${phase})` : ''}: ${expr}`);
        } catch (e) {
          failures.push(`${t.panel} ${t.refId}: ${(e as Error).message}`);
        }
      }
    }
    for (const v of q.variables) {
      const values = await prom.labelValues(v.label, substitute(v.selector, all), t0, t1);
      if (values.length === 0) failures.push(`variable ${v.name}: no values`);
      if (v.name === 'run') expect(values.sort()).toEqual(RUNS.map((k) => summary[k].run.id).sort());
    }
    expect(failures).toEqual([]);
    expect(evaluated).toBeGreaterThan(30);
    // without a traffic run, every traffic panel was evaluated (and parsed) but had nothing to show
    const trafficTargets = q.targets.filter((t) => trafficFamilies.some((m) => t.expr.includes(m)) && !t.repeat);
    expect(trafficTargets.length).toBeGreaterThanOrEqual(12);
    if (!traffic) expect(withoutTraffic).toBe(trafficTargets.length);
  });

  it('every recording rule produces series for the runs', async () => {
    const rules = [...readFileSync(RULES, 'utf8').matchAll(/^\s*- record: (\S+)$/gm)].map((m) => m[1]!);
    expect(rules.length).toBeGreaterThan(5);
    for (const name of rules) {
      const r = await prom.queryRange(name, t0, t1, 1);
      expect(r.length, name).toBeGreaterThan(0);
    }
    const runs = await prom.labelValues('run_id', 'herd:connections_established:rate1m', t0, t1);
    expect(runs.sort()).toEqual(RUNS.map((k) => summary[k].run.id).sort());
  });

  it('has no per-device label: 10x the devices (C) has exactly the series of A', async () => {
    const series = async (p: number): Promise<string[]> =>
      (await prom.series(`{__name__=~"herd_.+", instance="${inst(p)}"}`, t0, t1))
        .map(({ instance: _i, run_id: _r, ...labels }) => JSON.stringify(Object.entries(labels).sort()))
        .sort();
    const a = await series(port.a);
    const c = await series(port.c);
    expect(a.length).toBeGreaterThan(50);
    expect(c).toEqual(a);
    // and no label value anywhere names a device
    const everything = await prom.series('{__name__=~"herd_.+"}', t0, t1);
    for (const s of everything) for (const v of Object.values(s)) expect(v).not.toMatch(/dev-\d/);
  });
});
