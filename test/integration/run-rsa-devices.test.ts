/**
 * `herd run` with RSA-2048 device keys against the embedded broker: chosen by --key or by
 * the scenario's devices.key, minted from the seed, every device connects; larger RSA
 * keys are refused up front, saying why.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { herd, readSummaryFile } from '../helpers/herd.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-run-rsa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('herd run with rsa2048 device keys', () => {
  it('mints 20 RSA-2048 devices for --key rsa2048 and connects every one', async () => {
    const out = join(dir, 'flag');
    const r = await herd([
      'run',
      '--key',
      'rsa2048',
      '--devices',
      '20',
      '--rate',
      '40/s',
      '--hold',
      '0s',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/minting 20 device certificates \(rsa2048\)/);
    const s = readSummaryFile(out);
    expect(s.run.key).toBe('rsa2048');
    expect(s.mint.count).toBe(20);
    expect(s.counts).toMatchObject({ attempted: 20, connected: 20, failed: 0 });
    expect(s.verdict).toBe('pass');
  });

  it("takes the key from the scenario's devices.key", async () => {
    const file = join(dir, 'rsa.yaml');
    writeFileSync(
      file,
      'name: rsa-devices\ndevices: { count: 20, key: rsa2048, seed: 5 }\n' +
        'load: { executor: arrival-rate, rate: 40/s, hold: 0s }\n',
    );
    const out = join(dir, 'scenario');
    const r = await herd(['run', file, '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const s = readSummaryFile(out);
    expect(s.run.key).toBe('rsa2048');
    expect(s.counts).toMatchObject({ attempted: 20, connected: 20, failed: 0 });
  });

  it('refuses rsa4096 device keys with exit 2, saying why', async () => {
    const r = await herd(['run', '--key', 'rsa4096', '--devices', '20']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--key: rsa4096 device keys are not minted: .*too slow for a fleet/);
    expect(r.stderr).not.toMatch(/ at .*\.js:\d+/);
  });
});
