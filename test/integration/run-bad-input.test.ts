/**
 * Bad input to `herd run` and `herd validate`: each is exit 2 with the file (line, column)
 * or flag named, before any work is done — never a stack trace, never a result lost.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HERD, herd } from '../helpers/herd.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-badin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const noTrace = (s: string): void => {
  expect(s).not.toMatch(/^\s+at /m);
  expect(s).not.toMatch(/internal error/);
};

describe('bad input is exit 2, said plainly, before anything starts', () => {
  it('--out naming a file, or a path under a file: refused before minting', async () => {
    const f = file('a-file', 'x');
    for (const out of [f, join(f, 'sub')]) {
      const r = await herd(['run', '--devices', '5', '--out', out, '-q']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/--out: .*a file is in the way/);
      expect(r.stderr).not.toMatch(/minting/);
      noTrace(r.stderr);
    }
  });

  it('an empty scenario, one that is not a mapping, and a YAML error at its real line', async () => {
    const cases: [string, string, RegExp][] = [
      ['empty.yaml', '', /empty\.yaml:1:1: the scenario is empty/],
      ['comments.yaml', '# only a comment\n', /comments\.yaml:1:1: the scenario is empty/],
      ['list.yaml', '- a\n- b\n', /list\.yaml:1:1: expected a mapping, got a list/],
      [
        'syntax.yaml',
        'name: x\ndevices:\n  count: 10\nload: { executor: arrival-rate, rate: 10/s\nfoo: bar\n',
        /syntax\.yaml:5:1: YAML: /,
      ],
    ];
    for (const [name, text, want] of cases) {
      const r = await herd(['validate', file(name, text)]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(want);
      noTrace(r.stderr);
    }
  });

  it('does not echo a megabyte of input back: one short line per problem', async () => {
    const r = await herd(['validate', file('big.yaml', `name: ${'x'.repeat(1_000_000)}\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThan(500);
    expect(r.stderr).toMatch(/big\.yaml:1:7: name: "x+…" \(1000002 characters\) does not match/);
  });

  it('--server-ca that is not a certificate (binary garbage, a key) is refused naming the file, before minting', async () => {
    const garbage = file('garbage.crt', '');
    writeFileSync(garbage, Buffer.from([0x30, 0x82, 0x01, 0x00, 0xff, 0x00, 0x13, 0x37]));
    const key = file('a.key', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIOb7\n-----END PRIVATE KEY-----\n');
    for (const f of [garbage, key]) {
      const r = await herd(['run', '--devices', '5', '--server-ca', f, '-q']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(f);
      expect(r.stderr).not.toMatch(/minting/);
      noTrace(r.stderr);
    }
  });

  it('an open-files limit too low to run: says the number and how to raise it', () => {
    const r = spawnSync('bash', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${HERD}" run --devices 5 -q`], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/may open only 64 files/);
    noTrace(r.stderr);
  });
});
