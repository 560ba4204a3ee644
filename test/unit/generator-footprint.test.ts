/**
 * The generator's cost per connection: the footprint's phases from the gauges it reads
 * (ramp until the last attempt ended, hold until the run ends the connections, the held
 * connections' time added up), shards' figures merged exactly, summary.json reading them
 * back, and the console and the HTML report showing them.
 */
import { describe, expect, it } from 'vitest';
import { Footprint } from '../../src/engine/footprint.js';
import { mergeGenerator } from '../../src/metrics/merge.js';
import { kbPerConnection } from '../../src/metrics/footprint.js';
import { renderSummary } from '../../src/report/console/summary.js';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { parseSummary, summaryToJson } from '../../src/report/json/index.js';
import type { Summary } from '../../src/model/summary.js';
import { summaryOf } from '../helpers/summaries.js';

/** Gauges a test sets by hand. */
function gauges(): { cpu: number; rss: number; broker: number | undefined } {
  return { cpu: 0, rss: 0, broker: 0 };
}

describe('Footprint', () => {
  it('splits CPU into the ramp and the hold and adds up the held connections’ time', () => {
    const g = gauges();
    const f = new Footprint({ cpuMs: () => g.cpu, rssBytes: () => g.rss, brokerCpuMs: () => g.broker });
    g.cpu = 100;
    g.rss = 1000;
    g.broker = 50;
    f.begin(0);
    // the ramp: 3 reports of 10 attempts, held growing to 30
    g.rss = 2000;
    f.report(100, 10, 10);
    g.rss = 3000;
    f.report(200, 10, 20);
    g.cpu = 400;
    g.broker = 110;
    g.rss = 4000;
    f.report(300, 10, 30);
    expect(f.ramping).toBe(true);
    f.endRamp(300);
    expect(f.ramping).toBe(false);
    // the hold: 30 held for 1 s, then 31 (a retry) for 0.5 s; the RSS at the most held grows after its first sample
    f.report(1300, 0, 31);
    g.rss = 4500;
    f.report(1800, 0, 31);
    g.rss = 4400;
    f.report(1900, 0, 31);
    g.cpu = 460;
    g.broker = 130;
    // one of 31 gone (their --hold ran out): releasing is no part of the hold
    f.report(2000, 0, 30);
    f.report(2100, 0, 0);
    f.endHold(2200);
    g.cpu = 500;
    g.broker = 140;
    const r = f.finish(2300);
    expect(r.rssBeforeBytes).toBe(1000);
    expect(r.heldPeak).toEqual({ held: 31, rssBytes: 4500 });
    expect(r.ramp).toEqual({ ms: 300, cpuMs: 300, brokerCpuMs: 60, handshakes: 30 });
    expect(r.hold).toEqual({ ms: 1700, cpuMs: 60, brokerCpuMs: 20, connectionSeconds: 30 * 1 + 31 * 0.7 });
    expect(r.brokerCpuMs).toBe(90);
    expect(r.ms).toBe(2300);
  });

  it('has no hold when the run ends during the ramp, and no broker figures when its CPU is unknown', () => {
    const g = gauges();
    g.broker = undefined;
    const f = new Footprint({ cpuMs: () => g.cpu, rssBytes: () => g.rss, brokerCpuMs: () => g.broker });
    f.begin(0);
    f.report(100, 5, 5);
    g.cpu = 50;
    const r = f.finish(500);
    expect(r.ramp).toEqual({ ms: 500, cpuMs: 50, brokerCpuMs: undefined, handshakes: 5 });
    expect(r.hold).toBeUndefined();
    expect(r.brokerCpuMs).toBeUndefined();
  });

  it('does not end the ramp before an attempt was made (a closed loop reports before its first connect)', () => {
    const f = new Footprint({ cpuMs: () => 0, rssBytes: () => 0, brokerCpuMs: () => undefined });
    f.begin(0);
    f.endRamp(10);
    expect(f.ramping).toBe(true);
    expect(f.finish(20).hold).toBeUndefined();
  });
});

function costly(held: number, before: number, at: number, ramp: [number, number], hold: [number, number] | null) {
  const memory = { before_bytes: before, held_bytes: held === 0 ? null : at, held };
  return summaryOf(
    { n: ramp[1], every: 10 },
    {
      memory,
      kb_per_connection: kbPerConnection(memory),
      phases: {
        ramp: { ms: 1000, cpu_ms: ramp[0], handshakes: ramp[1], cpu_ms_per_handshake: ramp[0] / ramp[1] },
        hold:
          hold === null
            ? null
            : {
                ms: 2000,
                cpu_ms: hold[0],
                connection_seconds: hold[1],
                cpu_ms_per_connection_second: hold[0] / hold[1],
              },
      },
    },
  );
}

describe('merging shards’ generator costs', () => {
  it('adds memory and CPU up: kb_per_connection is the shards’ weighted by held connections', () => {
    const a = costly(100, 100e6, 100e6 + 100 * 60 * 1024, [500, 100], [40, 200]);
    const b = costly(300, 120e6, 120e6 + 300 * 80 * 1024, [1800, 300], [60, 600]);
    expect(a.generator.kb_per_connection).toBe(60);
    expect(b.generator.kb_per_connection).toBe(80);
    const g = mergeGenerator([a, b]);
    expect(g.memory).toEqual({ before_bytes: 220e6, held_bytes: 220e6 + (100 * 60 + 300 * 80) * 1024, held: 400 });
    expect(g.kb_per_connection).toBe((100 * 60 + 300 * 80) / 400); // 75
    expect(g.phases?.ramp).toEqual({ ms: 1000, cpu_ms: 2300, handshakes: 400, cpu_ms_per_handshake: 5.75 });
    expect(g.phases?.hold).toEqual({
      ms: 2000,
      cpu_ms: 100,
      connection_seconds: 800,
      cpu_ms_per_connection_second: 0.125,
    });
  });

  it('a shard that held nothing adds handshakes but no held connections; one written before the figures drops them', () => {
    const a = costly(100, 100e6, 100e6 + 100 * 60 * 1024, [500, 100], [40, 200]);
    const idle = costly(0, 90e6, 0, [100, 50], null);
    const g = mergeGenerator([a, idle]);
    expect(g.memory).toEqual({ before_bytes: 190e6, held_bytes: 190e6 + 100 * 60 * 1024, held: 100 });
    expect(g.kb_per_connection).toBe(60);
    expect(g.phases?.ramp?.handshakes).toBe(150);
    expect(g.phases?.hold).toEqual(a.generator.phases?.hold);
    const old = summaryOf({ n: 10, every: 10 });
    const m = mergeGenerator([a, old]);
    expect(m.memory).toBeUndefined();
    expect(m.kb_per_connection).toBeUndefined();
    expect(m.phases).toBeUndefined();
    expect(mergeGenerator([idle, idle]).kb_per_connection).toBeNull();
  });
});

describe('reporting the generator’s costs', () => {
  const s: Summary = {
    ...costly(100, 100e6, 100e6 + 100 * 60 * 1024, [500, 100], [40, 200]),
    broker_process: {
      pid: 4242,
      command: 'mosquitto',
      threads: 1,
      embedded: false,
      cpu_ms: 900,
      cores: 0.3,
      ramp_cpu_ms: 700,
      hold_cpu_ms: 100,
    },
  };

  it('summary.json keeps them and reads them back; a bad one is refused with its path', () => {
    const back = parseSummary(summaryToJson(s), 'summary.json');
    expect(back.generator.kb_per_connection).toBe(60);
    expect(back.generator.phases).toEqual(s.generator.phases);
    expect(back.broker_process).toEqual(s.broker_process);
    const bad = JSON.parse(summaryToJson(s)) as { generator: { phases: { ramp: { handshakes: unknown } } } };
    bad.generator.phases.ramp.handshakes = 'many';
    expect(() => parseSummary(JSON.stringify(bad), 'summary.json')).toThrow(/generator\.phases\.ramp\.handshakes/);
  });

  it('the console and the HTML report show memory per held connection, CPU per phase and the broker’s CPU', () => {
    const text = renderSummary(s);
    expect(text).toContain('memory per held connection: 60.0 KB');
    expect(text).toContain('CPU while connecting (ramp): 5.00 ms per handshake');
    expect(text).toContain('CPU while holding (hold): 0.200 ms per connection-second');
    expect(text).toContain('broker process (mosquitto, pid 4242): 0.30 cores on average of its one thread');
    expect(text).toContain('7.00 ms per handshake while connecting');
    const html = renderHtmlReport(s);
    const generator = /<section id="generator"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(generator).toContain('<dt>Memory per held connection</dt><dd>60.0 KB');
    expect(generator).toContain('<dt>CPU while connecting (ramp)</dt><dd>5.00 ms per handshake');
    expect(generator).toContain('<dt>CPU while holding (hold)</dt><dd>0.200 ms per connection-second');
    expect(generator).toContain('<dt>Broker process (mosquitto, pid 4242)</dt>');
  });
});
