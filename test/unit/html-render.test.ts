import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { parseThreshold } from '../../src/judge/thresholds.js';
import { explainReason } from '../../src/report/explain/index.js';
import { REPORT_CSP, renderHtmlReport } from '../../src/report/html/index.js';
import type { Summary, Verdict, WithSeries } from '../../src/model/summary.js';
import { finalizeSummary } from '../../src/judge/verdict.js';

const T0 = Date.parse('2026-02-01T10:00:00.000Z');

/** A summary made by the real recorder, aggregator and verdict; `slow` scales the latencies. */
function makeSummary(slow = 1, scenario = 'smoke'): WithSeries<Summary> {
  let clock = T0;
  const now = (): number => clock;
  const rec = new Recorder({ now });
  const agg = new Aggregator({ startedAt: T0, now });
  for (let s = 0; s < 20; s++) {
    clock = T0 + s * 1000;
    for (let i = 0; i < 50; i++) {
      rec.attempt();
      if (i === 0) {
        rec.failure('tls', 'tls_alert_unknown_ca');
        continue;
      }
      if (i === 1) {
        rec.rejectedAsExpected('expired', 'tls', 'tls_alert_certificate_expired');
        continue;
      }
      for (const p of ['tcp', 'tls', 'connack', 'connect'] as const) rec.recordPhase(p, slow * (500 + i * 97 + s * 13));
      rec.connected();
      rec.active(1);
    }
    agg.ingest(rec.drain(), 0);
  }
  const thresholds = ['p(99) < 20ms', 'p(50) < 1ms'].map((e) => {
    const t = parseThreshold('connect_duration', e);
    if (!t.ok) throw new Error(t.error);
    return t.value;
  });
  const summary = finalizeSummary(
    {
      version: 1,
      run: {
        id: `run-${slow}`,
        scenario,
        target: 'mqtts://broker.example:8883',
        started: new Date(T0).toISOString(),
        ended: new Date(clock).toISOString(),
        shard: { index: 0, count: 1 },
        mqtt: '5',
        devices: 1000,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: agg.security(),
      latency: agg.latency(),
      mint: { count: 1000, per_second: 5000, loaded: 0 },
      findings: [],
      generator: {
        cpu_ms_per_handshake: 2,
        event_loop_lag_p99_ms: 5,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 65536,
        workers: 2,
        processes: 1,
        rss_peak_bytes: 200e6,
      },
    },
    thresholds,
  );
  return { ...summary, series: agg.series() };
}

/** The visible text of a page, roughly: no scripts or styles, tags gone, entities decoded. */
const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' };
const text = (html: string): string =>
  html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(lt|gt|quot|#39|amp);/g, (m) => ENTITIES[m] ?? m)
    .replace(/\s+/g, ' ');

describe('renderHtmlReport', () => {
  it('is one file: every script and style inline, a policy that forbids any request', () => {
    const html = renderHtmlReport(makeSummary());
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`);
    expect(REPORT_CSP).toContain("default-src 'none'");
    expect(html).not.toMatch(/<(script|img|iframe)[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*href=/i);
    expect(html).not.toMatch(/url\(\s*['"]?(https?:)?\/\//i);
    expect(html.match(/<script[\s>]/g)).toHaveLength(3); // data, uPlot, the report's script
    expect(html).toContain('uPlot');
  });

  it('puts the verdict first, then every threshold with its mark and observed value', () => {
    const s = makeSummary();
    expect(s.verdict).toBe('fail');
    const html = renderHtmlReport(s);
    const t = text(html);
    const verdictAt = t.indexOf('FAIL');
    expect(verdictAt).toBeGreaterThan(-1);
    expect(verdictAt).toBeLessThan(t.indexOf('Thresholds 1 of 2 held'));
    expect(t).toContain(s.verdict_reason);
    expect(t).toMatch(/✓ connect_duration p\(99\) < 20ms p\(99\)=[\d.]+ms/);
    expect(t).toMatch(/✗ connect_duration p\(50\) < 1ms p\(50\)=[\d.]+ms/);
  });

  it('explains each failure in plain words', () => {
    const t = text(renderHtmlReport(makeSummary()));
    const e = explainReason('tls_alert_unknown_ca');
    expect(t).toContain('tls_alert_unknown_ca');
    expect(t).toContain(e.title);
    expect(t).toContain('unable to get local issuer certificate');
    expect(t).toContain('expired'); // the security table
  });

  it.each<[Verdict, string]>([
    ['pass', 'PASS'],
    ['fail', 'FAIL'],
    ['inconclusive', 'INCONCLUSIVE'],
    ['insecure', 'INSECURE'],
  ])('shows the %s verdict with its own class and word', (verdict, word) => {
    const html = renderHtmlReport({ ...makeSummary(), verdict, verdict_reason: `because ${verdict}` });
    expect(html).toContain(`class="verdict verdict-${verdict}"`);
    expect(html).toContain(`data-verdict="${verdict}">${word}<`);
    expect(html).toContain(`because ${verdict}`);
    expect(html).toMatch(new RegExp(`<title>${word} · `));
  });

  it('escapes every text from the summary', () => {
    const s = makeSummary(1, '<img src=x onerror=alert(1)>');
    s.run.target = '"><script>alert(2)</script>';
    s.generator.saturation_reasons = ['<b>lag</b>'];
    s.generator.saturated = true;
    const bad = '</script><script>alert(3)</script>';
    const point = s.series?.points[0];
    if (point) point.failures[bad] = 1;
    const html = renderHtmlReport(s);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<b>lag</b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;b&gt;lag&lt;/b&gt;');
  });

  it('with a baseline: both runs in the data and the deltas marked better or worse', () => {
    const base = makeSummary(2);
    const cur = makeSummary(1);
    const html = renderHtmlReport(cur, { baseline: base });
    const data = JSON.parse(
      /<script type="application\/json" id="herd-data">(.*?)<\/script>/s.exec(html)?.[1] ?? 'null',
    ) as {
      run: { curves: { phases: { connect: number[] } } };
      baseline: { curves: { phases: { connect: number[] } } };
    };
    expect(data.baseline.curves.phases.connect.at(-1)).toBeGreaterThan(data.run.curves.phases.connect.at(-1) as number);
    const row = /<tr class="delta-(\w+)"><td>Connect, end to end p99<\/td>/.exec(html);
    expect(row?.[1]).toBe('better');
    expect(text(html)).toContain(`Against the baseline Baseline: smoke`);
    expect(renderHtmlReport(base, { baseline: cur })).toMatch(
      /<tr class="delta-worse"><td>Connect, end to end p99<\/td>/,
    );
  });

  it('says so when there are no thresholds, no failures and no series', () => {
    const s = makeSummary();
    const html = renderHtmlReport({
      ...s,
      thresholds: [],
      failures: [],
      security: [],
      series: undefined,
      verdict: 'pass',
      verdict_reason: 'no thresholds set',
    });
    const t = text(html);
    expect(t).toContain('No thresholds were set for this run');
    expect(t).toContain('No attempt failed');
    expect(t).toContain('This summary has no per-second series.');
    expect(html).not.toContain('data-chart="timeline:');
  });
});
