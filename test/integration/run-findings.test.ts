/**
 * What limited a real run, against the embedded broker: the demo either keeps its schedule
 * or says why not (the machine is shared: either is a pass, a slip without a cause is not),
 * and a run held to two connects in flight at a rate they cannot carry says `in_flight_cap`
 * with the counts the summary's `schedule` holds. Needs the build (`npm run build`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herd, readSummaryFile } from '../helpers/herd.js';
import type { Finding, Summary } from '../../src/model/summary.js';
import { DEMO } from '../../src/run/config.js';
import { runConfigFromArgs } from '../../src/cli/run-flags.js';

/** The codes that explain a slipped schedule (findings.ts names them in its message). */
const CAUSES = [
  'generator_saturated',
  'in_flight_cap',
  'machine_cpu',
  'generator_cpu',
  'broker_cpu',
  'event_loop_lag',
  'syn_retries',
  'listen_backlog',
  'nagle_delayed_ack',
];

const DEMO_FLAGS = ['--devices', String(DEMO.devices), '--rate', `${DEMO.rate}/s`, '--hold', `${DEMO.holdMs / 1000}s`];

const find = (s: Summary, code: string): Finding | undefined => s.findings.find((f) => f.code === code);

describe('findings of real runs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'herd-findings-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the demo's flags are the demo: `herd run` with no arguments is the same run", () => {
    const demo = runConfigFromArgs([]);
    const flags = runConfigFromArgs(DEMO_FLAGS);
    expect({ ...flags, scenario: 'demo' }).toEqual(demo);
  });

  it('the demo keeps its schedule, or says exactly why not and what to change', async () => {
    const out = join(dir, 'demo');
    const r = await herd(['run', ...DEMO_FLAGS, '--out', out], 120_000);
    expect(r.code, r.stderr).toBe(0);
    const s = readSummaryFile(out);
    const sch = s.schedule!;
    expect(sch.attempts).toBe(DEMO.devices);
    expect(sch.asked_per_second).toBeCloseTo(DEMO.rate, 0);
    expect(sch.start_lag.count).toBe(DEMO.devices);
    const kept = find(s, 'schedule_kept');
    const slipped = find(s, 'schedule_slipped');
    expect([kept, slipped].filter((f) => f !== undefined)).toHaveLength(1);
    const f = (kept ?? slipped)!;
    expect(f.evidence).toMatchObject({
      asked_per_second: sch.asked_per_second,
      achieved_per_second: sch.achieved_per_second,
      start_lag_p99_ms: sch.start_lag.p99,
      waited_for_in_flight: sch.waited_for_in_flight,
    });
    if (slipped !== undefined) {
      // on a busy machine: at least one cause, with what to change
      const causes = s.findings.filter((x) => CAUSES.includes(x.code));
      expect(causes.length, JSON.stringify(s.findings)).toBeGreaterThan(0);
      expect(slipped.message).toMatch(/Limited by .* ask for about \d+\/s \(--rate/);
    } else {
      expect(kept!.message).toMatch(/^The schedule was kept: asked 150\/s/);
    }
    expect(r.stdout).toMatch(/limited by\s+(INFO|WARNING|ERROR)\s+The schedule (was kept|slipped)/);
  }, 150_000);

  it('two connects in flight at a rate they cannot carry: in_flight_cap, with the counts', async () => {
    const out = join(dir, 'cap');
    const args = ['run', '--devices', '200', '--rate', '1000/s', '--in-flight', '2', '--hold', '0s', '--out', out];
    const r = await herd(args, 90_000);
    expect(r.code, r.stderr).toBe(0);
    const s = readSummaryFile(out);
    const sch = s.schedule!;
    expect(sch).toMatchObject({ attempts: 200, in_flight_cap: 2, asked_per_second: 1000 });
    // two at a time cannot start 200 in 0.2 s: nearly every one waited
    expect(sch.waited_for_in_flight).toBeGreaterThan(150);
    expect(sch.achieved_per_second!).toBeLessThan(500);
    const slipped = find(s, 'schedule_slipped')!;
    expect(slipped.message).toContain('the in-flight cap');
    const cap = find(s, 'in_flight_cap')!;
    expect(cap.severity).toBe('warning');
    expect(cap.evidence).toMatchObject({
      waited_for_in_flight: sch.waited_for_in_flight,
      attempts: 200,
      in_flight_cap: 2,
    });
    expect(cap.message).toMatch(
      new RegExp(`^${sch.waited_for_in_flight} of 200 attempts \\(\\d+%\\) waited for a slot`),
    );
    expect(r.stdout).toContain('waited for a slot: --in-flight 2');
  }, 120_000);
});
