/**
 * Device key types against Debian's mosquitto: P-256, P-384 and Ed25519 devices all
 * connect, each search records its key type, and `herd compare` reports them per key
 * type. RSA-2048 device keys are minted too (slower: see run-rsa-devices); larger RSA keys
 * are refused up front, because deriving them from a seed is too slow for a fleet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herd, herdPki, readSummaryFile } from '../helpers/herd.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const KEYS = ['p256', 'p384', 'ed25519'] as const;

describe('device key types against mosquitto, reported per key type', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-capkeys-'));
  const pki = join(dir, 'pki');
  let m: Mosquitto;
  let target: string;

  beforeAll(async () => {
    m = await startMosquitto(await herdPki(pki));
    target = `mqtts://127.0.0.1:${m.port}`;
  });
  afterAll(async () => {
    await m?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each key type holds a short search to its maximum rate, and compare labels them by key', async () => {
    for (const key of KEYS) {
      const r = await herd(
        [
          'capacity',
          '--target',
          target,
          '--pki',
          pki,
          '--servername',
          'localhost',
          '--key',
          key,
          '--rate',
          '60/s',
          '--max-rate',
          '60/s',
          '--duration',
          '2s',
          '--budget',
          '30s',
          '--out',
          join(dir, key),
          '--quiet',
        ],
        60_000,
      );
      expect(r.code, `${key}: ${r.stderr}${r.stdout}${m.log()}`).toBe(0);
      const cap = readSummaryFile(join(dir, key)).capacity!;
      expect(cap.config.key).toBe(key);
      expect(cap).toMatchObject({ max_rate: 60, limited_by: 'max_rate', confirmed: true });
      for (const s of cap.steps) expect(s, key).toMatchObject({ failed: 0, connected: s.attempted });
    }
    const c = await herd(['compare', ...KEYS.map((k) => join(dir, k))]);
    expect(c.code, c.stderr).toBe(0);
    for (const [i, key] of KEYS.entries())
      expect(c.stdout).toMatch(new RegExp(`^  ${'ABC'[i]}  key ${key} +pass`, 'm'));
    expect(c.stdout).toMatch(/settings that differ\n +key +A p256 · B p384 · C ed25519/);
    expect(c.stdout).toMatch(/^ {2}capacity +max connect rate +60\/s +60\/s +60\/s/m);
    expect(c.stdout).toMatch(/^ {2}tls +p50 /m);
  }, 150_000);

  it('RSA device keys larger than 2048 bits are refused with a clear message', async () => {
    const r = await herd(['capacity', '--target', target, '--pki', pki, '--key', 'rsa4096']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--key: rsa4096 device keys are not minted: .*too slow for a fleet/);
    const mint = await herd([
      'pki',
      'mint',
      '--ca',
      pki,
      '--count',
      '5',
      '--key',
      'rsa4096',
      '--out',
      join(dir, 'rsa.store'),
    ]);
    expect(mint.code).toBe(2);
    expect(mint.stderr).toMatch(/--key: rsa4096 device keys are not minted: .*too slow for a fleet/);
  });
});
