/**
 * Setting up the traffic's extra clients fails clearly (exit 2, no stack trace) and before
 * any device is sent: a device store given without its CA's key cannot give them
 * certificates, and a client that cannot reach the broker is named with the reason.
 */
import { beforeAll, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd } from '../helpers/herd.js';
import { freePort } from '../helpers/net.js';
import { scenarioFile } from '../helpers/traffic-clients.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-clients-setup-'));
const pki = join(dir, 'pki');
const store = join(dir, 'devices.store');
const scenario = scenarioFile(`name: clients
devices: { count: 2 }
load: { executor: arrival-rate, rate: 10/s, hold: 1s }
traffic:
  - kind: subscribers
    filter: "devices/#"
  - kind: commands
    rate: 1/s
`);

beforeAll(async () => {
  for (const args of [
    ['pki', 'ca', '--out', pki],
    ['pki', 'mint', '--ca', pki, '--count', '2', '--out', store, '--quiet'],
  ]) {
    const r = await herd(args);
    expect(r.code, r.stderr).toBe(0);
  }
});

it('a store without its CA key: exit 2 naming the clients that need certificates and what to give', async () => {
  const port = await freePort();
  const r = await herd(['run', scenario, '--target', `mqtts://127.0.0.1:${port}`, '--store', store, '--quiet']);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(
    `--store: subscriber-0, controller-0 need a certificate from the CA of the devices in ${store}, but the store holds no CA key: give --pki DIR`,
  );
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

it('with the CA given too, a client that cannot reach the broker is exit 2 naming it and why', async () => {
  const port = await freePort();
  const out = join(dir, 'out');
  const r = await herd([
    'run',
    scenario,
    '--target',
    `mqtts://127.0.0.1:${port}`,
    '--store',
    store,
    '--pki',
    pki,
    '--out',
    out,
    '--quiet',
  ]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(
    new RegExp(`(subscriber|controller)-0 cannot connect to 127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
  );
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

it('a sharded run with subscribers or controllers is refused (exit 2) rather than counted wrong', async () => {
  const port = await freePort();
  const r = await herd([
    'run',
    scenario,
    '--target',
    `mqtts://127.0.0.1:${port}`,
    '--pki',
    pki,
    '--shard-index',
    '0',
    '--shard-count',
    '2',
    '--seed',
    's',
    '--quiet',
  ]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(
    "--shard-count: the traffic's subscribers and controllers (subscriber-0, ...) do not run in a sharded run yet",
  );
});
