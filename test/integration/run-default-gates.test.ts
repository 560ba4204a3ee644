import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, herdPki, readSummaryFile } from '../helpers/herd.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-gates-'));
let pki = '';
/** A port nothing listens on: every connect is refused. */
let closedPort = 0;

beforeAll(async () => {
  pki = join(dir, 'pki');
  await herdPki(pki);
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedPort = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('default gates on the command line', () => {
  it('a broker that accepts nothing fails the run (exit 99) with no threshold given, and says why', async () => {
    const out = join(dir, 'nothing');
    const r = await herd([
      'run',
      '--target',
      `mqtts://127.0.0.1:${closedPort}`,
      '--pki',
      pki,
      '--devices',
      '10',
      '--rate',
      '100/s',
      '--hold',
      '0s',
      '--out',
      out,
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(99);
    const s = readSummaryFile(out);
    expect(s.counts).toMatchObject({ attempted: 10, connected: 0, failed: 10 });
    expect(s.verdict).toBe('fail');
    const gates = s.thresholds.filter((t) => t.default === true);
    expect(gates.map((t) => [t.metric, t.ok])).toEqual([
      ['connected', false],
      ['connect_failures', false],
      ['session_drops', false],
    ]);
    expect(r.stdout).toMatch(/connected count > 0/);
  });

  it('--no-default-gates leaves such a run to the thresholds it was given (none: pass)', async () => {
    const r = await herd([
      'run',
      '--target',
      `mqtts://127.0.0.1:${closedPort}`,
      '--pki',
      pki,
      '--devices',
      '5',
      '--rate',
      '100/s',
      '--hold',
      '0s',
      '--no-default-gates',
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/connected count > 0/);
  });
});
