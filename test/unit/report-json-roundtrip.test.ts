import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, InputErrors } from '../../src/errors.js';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { parseThresholds } from '../../src/judge/thresholds.js';
import { parseSummary, readSummary, summaryToJson, writeSummary } from '../../src/report/json/index.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import type { Summary } from '../../src/model/summary.js';

function sample(): Summary {
  const r = new Recorder();
  for (let i = 1; i <= 50; i++) {
    r.attempt();
    r.connected();
    r.recordPhase('connect', i * 1000);
  }
  r.failure('tls', 'tls_alert_unknown_ca');
  r.rejectedAsExpected('revoked', 'tls', 'tls_alert_certificate_revoked');
  const agg = new Aggregator();
  agg.ingest(r.drain(), 0);
  return finalizeSummary(
    {
      version: 1,
      run: {
        id: 'r1',
        scenario: 'smoke',
        target: 'mqtts://127.0.0.1:8883',
        started: '2025-01-01T00:00:00.000Z',
        ended: '2025-01-01T00:00:10.000Z',
        shard: { index: 0, count: 1 },
        mqtt: '3.1.1',
        devices: 52,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: agg.security(),
      latency: agg.latency(),
      mint: { count: 52, per_second: 1000, loaded: 0 },
      generator: {
        cpu_ms_per_handshake: 1.5,
        event_loop_lag_p99_ms: 2,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 1024,
        workers: 1,
        processes: 1,
        rss_peak_bytes: 1e8,
      },
      findings: [],
      ...{ series: agg.series() },
    },
    parseThresholds({ connect_duration: ['p(99) < 1s'] }).thresholds,
  );
}

/** The same object with its keys in reverse order, at every level. */
function shuffled(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shuffled);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.entries(v)
      .reverse()
      .map(([k, x]) => [k, shuffled(x)]),
  );
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-json-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('summary.json', () => {
  it('is written in a stable key order whatever order the object has', () => {
    const s = sample();
    const text = summaryToJson(s);
    expect(summaryToJson(shuffled(s) as Summary)).toBe(text);
    expect(Object.keys(JSON.parse(text) as Summary)).toEqual([
      'version',
      'run',
      'counts',
      'failures',
      'security',
      'latency',
      'mint',
      'generator',
      'thresholds',
      'findings',
      'verdict',
      'verdict_reason',
      'series',
    ]);
    expect(Object.keys((JSON.parse(text) as Summary).latency.connect)).toEqual([
      'count',
      'min',
      'mean',
      'p50',
      'p90',
      'p99',
      'p999',
      'max',
      'hdr',
    ]);
    expect(text).toMatch(/^\{\n {2}"version": 1,\n/);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('reads back what it wrote', async () => {
    const s = sample();
    const file = join(dir, 'summary.json');
    await writeSummary(file, s);
    expect(await readSummary(file)).toEqual(JSON.parse(summaryToJson(s)));
    expect(await readFile(file, 'utf8')).toBe(summaryToJson(s));
  });

  it('names the file and the position of a syntax error', () => {
    const err = (() => {
      try {
        parseSummary('{\n  "version": 1,\n  oops\n}', 'bad.json');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as InputError).message).toMatch(/^bad\.json:3:3: not valid JSON/);
  });

  it('reports every shape problem with its path', () => {
    // plain JSON, to break on purpose
    const s = JSON.parse(summaryToJson(sample())) as {
      counts: { connected: number };
      run: { target?: string };
      latency: { tls: { hdr: string } };
      verdict: string;
    };
    s.counts.connected = -1;
    delete s.run.target;
    s.latency.tls.hdr = 'AAAA';
    s.verdict = 'maybe';
    const text = JSON.stringify(s);
    expect(() => parseSummary(text, 'x.json')).toThrow(InputErrors);
    try {
      parseSummary(text, 'x.json');
    } catch (e) {
      const lines = (e as Error).message.split('\n');
      expect(lines).toEqual([
        'x.json: not a mqtt-herd summary: run.target: missing',
        'x.json: not a mqtt-herd summary: counts.connected: expected a count (an integer >= 0), found -1',
        'x.json: not a mqtt-herd summary: latency.tls.hdr: not a valid encoded HDR histogram',
        'x.json: not a mqtt-herd summary: verdict: expected one of pass, fail, inconclusive, insecure, found "maybe"',
      ]);
    }
    expect(() => parseSummary('[]', 'y.json')).toThrow(
      /^y\.json: not a mqtt-herd summary: summary: expected an object/,
    );
  });

  it('names a missing file', async () => {
    await expect(readSummary(join(dir, 'nope.json'))).rejects.toThrow(
      /nope\.json: cannot read the summary: no such file/,
    );
  });
});
