/**
 * The shipped Grafana dashboard, scrape config and recording rules: the datasource is a
 * variable, every query is filtered by the scenario, run and shard variables through
 * herd_run_info, only metrics that exist are used, and promtool accepts the config and
 * rules. (That every expression returns data from a real run is the integration test.)
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRIC } from '../../src/model/names.js';
import { MESSAGE_METRIC } from '../../src/model/messages.js';
import { dashboardQueries, promtool, substitute } from '../helpers/prometheus.js';

const DIR = join(import.meta.dirname, '../../dashboards');
const dash = JSON.parse(readFileSync(join(DIR, 'mqtt-herd.json'), 'utf8')) as {
  uid: string;
  panels: {
    id: number;
    type: string;
    title: string;
    datasource?: { uid: string };
    gridPos: { x: number; w: number; h: number; y: number };
    targets?: { datasource?: { uid: string }; refId?: string; expr?: string }[];
  }[];
  templating: { list: { name: string; type: string; query: unknown; multi?: boolean; includeAll?: boolean }[] };
};
const q = dashboardQueries(dash);

describe('grafana dashboard', () => {
  it('takes the datasource as a variable, and scenario, run, shard and phase variables', () => {
    const vars = Object.fromEntries(dash.templating.list.map((v) => [v.name, v]));
    expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['scenario', 'run', 'shard'])
      expect(vars[name], name).toMatchObject({ type: 'query', multi: true, includeAll: true });
    expect(q.variables.map((v) => [v.name, v.label])).toEqual([
      ['scenario', 'scenario'],
      ['run', 'run_id'],
      ['shard', 'shard'],
    ]);
    for (const v of q.variables) expect(v.selector).toMatch(/^herd_run_info\b/);
    expect(q.custom.phase).toEqual(['tcp', 'tls', 'ws', 'connack', 'subscribe']);
    for (const p of dash.panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe('${datasource}');
    }
  });

  it('filters every query by the run variables through herd_run_info', () => {
    expect(q.targets.length).toBeGreaterThan(20);
    for (const t of q.targets) {
      expect(t.expr, `${t.panel} ${t.refId}`).toContain(
        'on(job, instance) group_left(run_id, scenario, shard) herd_run_info{scenario=~"$scenario", run_id=~"$run", shard=~"$shard"}',
      );
    }
  });

  it('uses only metrics the exporter serves', () => {
    const known = new Set<string>([
      ...Object.values(METRIC),
      ...Object.values(MESSAGE_METRIC),
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'process_max_fds',
    ]);
    const used = new Set<string>();
    for (const t of q.targets)
      for (const m of t.expr.matchAll(/\b(herd_[a-z_]+|process_[a-z_]+)\b/g))
        used.add(m[1]!.replace(/_(bucket|sum|count)$/, ''));
    for (const m of used) expect(known.has(m), m).toBe(true);
    // every herd_ family is shown somewhere, the traffic ones included
    for (const m of [...Object.values(METRIC), ...Object.values(MESSAGE_METRIC)]) expect(used.has(m), m).toBe(true);
  });

  it('has the panels the issue asks for, laid out on a 24-column grid with unique ids', () => {
    const titles = dash.panels.map((p) => p.title);
    for (const t of [
      'Connect rate',
      'Open connections',
      'Failures by phase and reason',
      'Connect duration, end to end',
      '$phase phase duration',
      'Minting rate',
      'Event-loop lag p99 by worker',
      'CPU',
      'Messages per second by stream',
      'Lost and duplicated by stream',
      'Publish → ack duration',
      'Delivery duration by stream',
      'Command round trip',
    ]) {
      expect(titles, t).toContain(t);
    }
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dash.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });

  it('has only expressions promtool parses (as recording rules, the variables filled in)', () => {
    const values = { scenario: '.*', run: '.*', shard: '.*', phase: 'tls', __rate_interval: '5s' };
    const rules = q.targets.map(
      (t, i) => `      - record: herd:dashboard_${i}\n        expr: ${JSON.stringify(substitute(t.expr, values))}`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'herd-dash-'));
    try {
      const file = join(dir, 'dashboard.rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const r = promtool(['check', 'rules', file]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`SUCCESS: ${q.targets.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prometheus config and rules', () => {
  it('promtool accepts the recording rules and the scrape config example', () => {
    const rules = promtool(['check', 'rules', join(DIR, 'herd.rules.yml')]);
    expect(rules.code, rules.stdout + rules.stderr).toBe(0);
    expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const config = promtool(['check', 'config', join(DIR, 'prometheus.yml')]);
    expect(config.code, config.stdout + config.stderr).toBe(0);
  });
});
