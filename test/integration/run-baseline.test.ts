import { describe, it, expect } from 'vitest';
import { mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile } from '../helpers/herd.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-base-'));

describe('herd run --baseline', () => {
  it('fails with exit 99 when the end-to-end latency regressed beyond --max-regression, and says by how much', async () => {
    const base = tmp();
    const a = await herd(['run', '--devices', '100', '--rate', '50/s', '--hold', '0s', '--out', base, '--quiet']);
    expect([0, 97]).toContain(a.code);
    expect(existsSync(join(base, 'report.html'))).toBe(true);
    // the same devices, but queued one at a time behind --in-flight 1 at 1000/s: the connect latency
    // counted from each intended start grows with the queue
    const out = tmp();
    const b = await herd([
      'run',
      '--devices',
      '100',
      '--rate',
      '1000/s',
      '--in-flight',
      '1',
      '--hold',
      '0s',
      '--baseline',
      join(base, 'summary.json'),
      '--baseline-metrics',
      'connect_duration:p(50),connect_failures:rate',
      '--out',
      out,
      '--quiet',
    ]);
    // 99; 97 only if this shared machine stalled the generator (inconclusive outranks fail)
    expect([99, 97]).toContain(b.code);
    const s = readSummaryFile(out);
    const [p50, rate] = s.thresholds;
    expect(p50).toMatchObject({ metric: 'connect_duration', ok: false });
    expect(p50!.expression).toMatch(/^p\(50\) <= [\d.]+ \(baseline [\d.]+ \+10%\)$/);
    expect(rate).toMatchObject({ metric: 'connect_failures', ok: true, value: 0 });
    expect(b.stdout).toMatch(/connect_duration p\(50\): [\d.]+ → [\d.]+ \(\+\d+/);
  });

  it('passes against itself with room to spare, and rejects a baseline file that is not a summary (exit 2)', async () => {
    const base = tmp();
    await herd(['run', '--devices', '60', '--rate', '100/s', '--hold', '0s', '--out', base, '--quiet']);
    const out = tmp();
    const r = await herd([
      'run',
      '--devices',
      '60',
      '--rate',
      '100/s',
      '--hold',
      '0s',
      '--baseline',
      join(base, 'summary.json'),
      '--max-regression',
      '1000%',
      '--baseline-metrics',
      'connect_failures:rate',
      '--out',
      out,
      '--quiet',
    ]);
    expect([0, 97]).toContain(r.code);
    expect(readSummaryFile(out).thresholds.every((t) => t.ok)).toBe(true);
    const bad = join(base, 'bad.json');
    writeFileSync(bad, '{"not": "a summary"');
    const e = await herd(['run', '--devices', '10', '--baseline', bad, '--quiet']);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('bad.json');
    expect(e.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
