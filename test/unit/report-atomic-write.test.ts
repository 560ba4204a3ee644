/**
 * Result files are written atomically: a write that fails half-way (a data source that
 * breaks, a rename that cannot happen, a summary that cannot be serialized) leaves the
 * previous good file as it was, and no temporary file behind.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HerdError } from '../../src/errors.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { writeRunOutputs } from '../../src/report/index.js';
import { AtomicFileWriter, writeFileAtomic } from '../../src/util/atomic-file.js';
import type { Summary } from '../../src/model/summary.js';

const root = mkdtempSync(join(tmpdir(), 'herd-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const freshDir = (): string => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

/** A source of chunks that breaks after its first one, as a serializer failing half-way. */
function* breaksAfterOneChunk(): Generator<string> {
  yield 'the first half of a new file, ';
  throw new Error('the source broke');
}

describe('writeFileAtomic', () => {
  it('writes a new file and replaces an old one whole, with the mode asked for', async () => {
    const dir = freshDir();
    const file = join(dir, 'summary.json');
    await writeFileAtomic(file, '{"old":true}\n', { mode: 0o600 });
    expect(readFileSync(file, 'utf8')).toBe('{"old":true}\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await writeFileAtomic(file, ['{"new":', 'true}\n'], { mode: 0o644 });
    expect(readFileSync(file, 'utf8')).toBe('{"new":true}\n');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['summary.json']);
  });

  it('interrupted half-way through the data: the previous file intact, no temporary file left', async () => {
    const dir = freshDir();
    const file = join(dir, 'report.html');
    writeFileSync(file, 'the previous good report');
    await expect(writeFileAtomic(file, breaksAfterOneChunk())).rejects.toThrow('the source broke');
    expect(readFileSync(file, 'utf8')).toBe('the previous good report');
    expect(readdirSync(dir)).toEqual(['report.html']);
  });

  it('a rename that cannot happen (a directory in the way): the temporary file removed', async () => {
    const dir = freshDir();
    const target = join(dir, 'junit.xml');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    await expect(writeFileAtomic(target, '<testsuites/>')).rejects.toMatchObject({
      code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST|EPERM)$/) as unknown,
    });
    expect(readdirSync(dir)).toEqual(['junit.xml']);
    expect(readdirSync(target)).toEqual(['keep']);
  });
});

describe('AtomicFileWriter (the device store)', () => {
  it('shows nothing at the path until commit, and abort leaves the previous file', () => {
    const dir = freshDir();
    const file = join(dir, 'devices.store');
    writeFileSync(file, 'previous store');
    const w = new AtomicFileWriter(file, { mode: 0o600 });
    w.write(Buffer.from('BODY'), 8);
    w.write(Buffer.from('HEADER!!'), 0); // the header last, at the start
    expect(readFileSync(file, 'utf8')).toBe('previous store');
    w.abort();
    expect(readFileSync(file, 'utf8')).toBe('previous store');
    expect(readdirSync(dir)).toEqual(['devices.store']);

    const ok = new AtomicFileWriter(file, { mode: 0o600 });
    ok.write(Buffer.from('BODY'), 8);
    ok.write(Buffer.from('HEADER!!'), 0);
    ok.commit();
    expect(readFileSync(file, 'utf8')).toBe('HEADER!!BODY');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['devices.store']);
    expect(() => ok.write(Buffer.from('late'), 0)).toThrow(/closed/);
  });
});

/** A small summary made by the real recorder, aggregator and verdict. */
function summary(): Summary {
  const rec = new Recorder();
  for (let i = 1; i <= 20; i++) {
    rec.attempt();
    rec.recordPhase('connect', i * 1000);
    rec.connected();
  }
  const agg = new Aggregator();
  agg.ingest(rec.drain(), 0);
  return finalizeSummary(
    {
      version: 1,
      run: {
        id: 'run-1',
        scenario: 'atomic',
        target: 'mqtts://broker.example:8883',
        started: '2026-01-01T00:00:00.000Z',
        ended: '2026-01-01T00:00:10.000Z',
        shard: { index: 0, count: 1 },
        mqtt: '5',
        devices: 20,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: agg.security(),
      latency: agg.latency(),
      mint: { count: 20, per_second: 100, loaded: 0 },
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
}

describe('writeRunOutputs', () => {
  it('a summary that cannot be serialized: the previous outputs intact, no temporary file left', async () => {
    const dir = freshDir();
    const previous = { 'summary.json': '{"previous":1}\n', 'junit.xml': '<previous/>\n', 'report.html': 'previous' };
    for (const [name, text] of Object.entries(previous)) writeFileSync(join(dir, name), text);
    const broken = { ...summary(), counts: { ...summary().counts, attempted: 10n } } as unknown as Summary;
    await expect(writeRunOutputs(dir, broken)).rejects.toThrow(/BigInt/);
    for (const [name, text] of Object.entries(previous)) expect(readFileSync(join(dir, name), 'utf8')).toBe(text);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(previous).sort());
  });

  it('writes the three files into a new directory, and a directory it cannot make is exit 2 naming it', async () => {
    const dir = join(freshDir(), 'out', 'run1');
    expect(await writeRunOutputs(dir, summary())).toEqual(['summary.json', 'junit.xml', 'report.html']);
    expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'report.html', 'summary.json']);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);

    const blocked = join(freshDir(), 'a-file');
    writeFileSync(blocked, 'not a directory');
    const e = await writeRunOutputs(join(blocked, 'out'), summary()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HerdError);
    expect(e).toMatchObject({ code: 'HERD_OUTPUT', exitCode: 2 });
    expect((e as Error).message).toMatch(/a-file\/out: cannot write the results: /);
  });
});
