import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { parseThresholds } from '../../src/judge/thresholds.js';
import { escapeMarkup } from '../../src/report/escape.js';
import { renderJUnit } from '../../src/report/junit/index.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import type { Summary } from '../../src/model/summary.js';

const NASTY = `<"it's" & ]]> \u0001\u001b ☃ \uD83D\uDE00 \uD800>`;

function sample(): Summary {
  const r = new Recorder();
  for (let i = 1; i <= 100; i++) {
    r.attempt();
    r.connected();
    r.recordPhase('connect', i * 10_000);
  }
  r.rejectedAsExpected('expired', 'tls', 'tls_alert_certificate_expired');
  r.acceptedUnexpectedly('cn_mismatch');
  r.rejectedAsExpected('cn_mismatch', 'connack', 'connack_not_authorized');
  const agg = new Aggregator();
  agg.ingest(r.drain(), 0);
  const { thresholds } = parseThresholds({
    connect_duration: ['p(99) < 500ms', 'p(50) < 1s'],
    unexpected_accepts: ['count == 0'],
  });
  return finalizeSummary(
    {
      version: 1,
      run: {
        id: 'r&1',
        scenario: NASTY,
        target: 'mqtts://a<b>:8883',
        started: '2025-01-01T00:00:00.000Z',
        ended: '2025-01-01T00:01:30.000Z',
        shard: { index: 0, count: 1 },
        mqtt: '5',
        devices: 102,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: agg.security(),
      latency: agg.latency(),
      mint: { count: 0, per_second: 0, loaded: 0 },
      findings: [],
      generator: {
        cpu_ms_per_handshake: 1,
        event_loop_lag_p99_ms: 1,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 1024,
        workers: 1,
        processes: 1,
        rss_peak_bytes: 1,
      },
    },
    thresholds,
  );
}

/** A strict XML parser (expat, through Python) when there is one: '' when well-formed, else its message. */
function expat(xml: string): string | null {
  const py = spawnSync('python3', ['-c', 'import sys, xml.dom.minidom as m; m.parseString(sys.stdin.buffer.read())'], {
    input: xml,
    encoding: 'utf8',
  });
  if (py.error !== undefined) return null;
  return py.status === 0 ? '' : (py.stderr.trim().split('\n').at(-1) ?? 'failed');
}

describe('junit.xml', () => {
  it('escapes markup, quotes and characters XML cannot hold', () => {
    expect(escapeMarkup(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&#39;');
    expect(escapeMarkup('x\u0000\u0007\u001b\ty\nz')).toBe('x\ty\nz');
    expect(escapeMarkup('\uD800 \uDE00 \uD83D\uDE00')).toBe('\uFFFD \uFFFD \uD83D\uDE00');
  });

  it('has one test case per threshold and per fault kind, failures included', () => {
    const xml = renderJUnit(sample());
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml).toContain(
      '<testsuites name="mqtt-herd &lt;&quot;it&#39;s&quot; &amp; ]]&gt;  ☃ 😀 \uFFFD&gt;" tests="5" failures="3"',
    );
    expect(xml).toMatch(
      /<testcase classname="mqtt-herd.thresholds.connect_duration" name="connect_duration: p\(99\) &lt; 500ms" time="0">\s*<failure type="threshold" message="p\(99\)=\d+(\.\d+)?ms, expected p\(99\) &lt; 500ms">/,
    );
    expect(xml).toContain('name="connect_duration: p(50) &lt; 1s" time="0"/>');
    expect(xml).toContain(
      '<failure type="insecure" message="the broker accepted 1 of 2 cn_mismatch credentials">1 rejected (connack_not_authorized 1), 1 accepted</failure>',
    );
    expect(xml).toContain('name="expired: the broker rejects the credential" time="0"/>');
    expect(xml).toContain('time="90.000"');
  });

  it('is well-formed XML', () => {
    const xml = renderJUnit(sample());
    // every & starts an entity, no raw < inside attribute values, tags balance
    expect(xml.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, '')).not.toContain('&');
    for (const m of xml.matchAll(/="([^"]*)"/g)) expect(m[1]).not.toMatch(/[<>]/);
    const stack: string[] = [];
    for (const m of xml.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
      if (m[1] === '/') expect(stack.pop()).toBe(m[2]);
      else if (m[3] !== '/') stack.push(m[2] ?? '');
    }
    expect(stack).toEqual([]);
    const parsed = expat(xml);
    if (parsed !== null) expect(parsed).toBe('');
    // and the check itself catches a broken document
    if (parsed !== null) expect(expat(xml.replace('&amp;', '&'))).not.toBe('');
  });
});
