/**
 * Extra sections of the HTML report: each in its place in the page and the table of
 * contents, its styles once, its chart data in the page's data element, bad ids refused;
 * and the capacity section, which the report shows only when its caller passes it in.
 */
import { describe, expect, it } from 'vitest';
import { capacityHtmlSection, capacityReportSections } from '../../src/capacity/html.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { renderHtmlReport, type HtmlSection } from '../../src/report/html/index.js';
import type { Capacity, CapacityStep } from '../../src/model/capacity.js';
import type { Summary } from '../../src/model/summary.js';

function summary(capacity?: Capacity): Summary {
  const rec = new Recorder();
  for (let i = 1; i <= 50; i++) {
    rec.attempt();
    for (const p of ['tcp', 'tls', 'connack', 'connect'] as const) rec.recordPhase(p, 400 + i * 50);
    rec.connected();
  }
  const agg = new Aggregator();
  agg.ingest(rec.drain(), 0);
  const s = finalizeSummary(
    {
      version: 1,
      run: {
        id: 'run-s',
        scenario: 'sections',
        target: 'mqtts://broker.example:8883',
        started: '2026-01-01T00:00:00.000Z',
        ended: '2026-01-01T00:00:10.000Z',
        shard: { index: 0, count: 1 },
        mqtt: '5',
        devices: 50,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: agg.security(),
      latency: agg.latency(),
      mint: { count: 50, per_second: 100, loaded: 0 },
      findings: [],
      generator: {
        cpu_ms_per_handshake: 1,
        event_loop_lag_p99_ms: 1,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 1024,
        workers: 1,
        processes: 1,
        rss_peak_bytes: 1e8,
      },
    },
    [],
  );
  return capacity === undefined ? s : { ...s, capacity };
}

const step = (rate: number, p99: number, ok: boolean): CapacityStep => ({
  rate,
  achieved: rate - 1,
  p50: p99 / 4,
  p99,
  failed: 0,
  kind: 'ramp',
  ok,
  duration_ms: 3000,
  attempted: rate * 3,
  connected: rate * 3,
  failures: {},
  broke: ok ? [] : ['connect_duration p(99) < 500ms: p(99)=900ms'],
  saturated: false,
  saturation_reasons: [],
  phases_p99: { tcp: 1, tls: 8, connack: 3, subscribe: null },
  broker_cpu: null,
  host_cpu: null,
  generator_cpu: 0.3,
});

const CAPACITY: Capacity = {
  max_rate: 200,
  limited_by: 'slo',
  steps: [step(100, 40, true), step(200, 90, true), step(400, 900, false)],
  confirmed: false,
  at_least: false,
  ceiling: 400,
  reason: '200/s held; at 400/s p(99) broke',
  findings: [{ kind: 'phase', text: 'TLS handshake grew the most' }],
  slo: ['connect_duration p(99) < 500ms'],
  search: {
    start_rate: 100,
    max_rate: 1000,
    precision: 0.1,
    budget_ms: 60_000,
    elapsed_ms: 20_000,
    started: '',
    ended: '',
  },
  config: {
    key: 'p256',
    tls_min_version: null,
    tls_max_version: null,
    mqtt: '5',
    in_flight: 100,
    hold_ms: 0,
    workers: 1,
    target: 'mqtts://broker.example:8883',
    broker: null,
  },
};

const section = (id: string, o: Partial<HtmlSection> = {}): HtmlSection => ({
  id,
  label: `Label ${id}`,
  html: `<section id="${id}"><h2>${id} here</h2></section>`,
  ...o,
});

const tocIds = (html: string): string[] =>
  [.../<nav class="toc">(.*?)<\/nav>/s.exec(html)![1]!.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
const bodyIds = (html: string): string[] => [...html.matchAll(/<section[^>]* id="([^"]+)"/g)].map((m) => m[1]!);
const pageData = (html: string): { sections: Record<string, unknown> } =>
  JSON.parse(/<script type="application\/json" id="herd-data">(.*?)<\/script>/s.exec(html)![1]!) as {
    sections: Record<string, unknown>;
  };

describe('extra sections of the HTML report', () => {
  it('go where they ask, in the page and in the table of contents; shared styles once', () => {
    const css = '.extra-style { color: red; }';
    const html = renderHtmlReport(summary(), {
      sections: [
        section('first', { css }),
        section('late', { position: 'before-latency', css }),
        section('last', { position: 'end', css: '.last-style {}' }),
      ],
    });
    expect(tocIds(html)).toEqual([
      'verdict',
      'first',
      'thresholds',
      'late',
      'latency',
      'timeline',
      'failures',
      'config',
      'generator',
      'last',
    ]);
    expect(bodyIds(html)).toEqual([
      'verdict',
      'first',
      'thresholds',
      'late',
      'latency',
      'timeline',
      'failures',
      'config',
      'generator',
      'last',
    ]);
    expect(html).toContain('<a href="#first">Label first</a>');
    expect(html.split(css)).toHaveLength(2);
    expect(html).toContain('.last-style {}');
  });

  it('refuses an id that is malformed, taken by the report or given twice', () => {
    expect(() => renderHtmlReport(summary(), { sections: [section('has:colon')] })).toThrow(/has:colon/);
    expect(() => renderHtmlReport(summary(), { sections: [section('latency')] })).toThrow(/already in the page/);
    expect(() => renderHtmlReport(summary(), { sections: [section('x'), section('x')] })).toThrow(/already/);
  });

  it('carry their chart data in the page data, under their id', () => {
    const chart = { kind: 'steps' as const, data: { runs: [], sloP99: 12 } };
    const data = pageData(renderHtmlReport(summary(), { sections: [section('charted', { chart }), section('plain')] }));
    expect(data.sections).toEqual({ charted: chart });
  });
});

describe('the capacity section', () => {
  it('is in the report of a search only when the caller passes it in, with its two charts and data', () => {
    const s = summary(CAPACITY);
    const without = renderHtmlReport(s);
    expect(without).not.toContain('id="capacity"');
    expect(pageData(without).sections).toEqual({});

    const html = renderHtmlReport(s, { sections: capacityReportSections(s) });
    expect(tocIds(html).slice(0, 3)).toEqual(['verdict', 'capacity', 'thresholds']);
    expect(html).toContain('<div class="chart" data-chart="capacity:latency"');
    expect(html).toContain('<div class="chart" data-chart="capacity:achieved"');
    expect(html).toContain('200/s held; at 400/s p(99) broke');
    expect(html).toContain('ul.findings');
    const data = pageData(html).sections.capacity as { kind: string; data: { runs: { steps: unknown[] }[] } };
    expect(data.kind).toBe('steps');
    expect(data.data.runs[0]!.steps).toHaveLength(3);
    expect(capacityReportSections(summary())).toEqual([]);
    expect(capacityHtmlSection(CAPACITY).id).toBe('capacity');
  });
});
