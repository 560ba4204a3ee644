/** `herd broker`: reads the PKI directory the contract names, says clearly what is missing, serves until a signal. */
import { afterEach, expect, it, vi } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { brokerCommand } from '../../src/cli/broker.js';
import { InputError, UsageError } from '../../src/errors.js';
import { attempt, prepareDevice, type AttemptOutcome } from '../../src/mqtt/index.js';
import { SAFETY_NET_MS } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-broker-cli-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const other = opensslLeaf(opensslCa(join(dir, 'other')), 'x', 'device', 'x');

function pkiDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(dir, 'pki-'));
  for (const [name, from] of Object.entries(files)) copyFileSync(from, join(d, name));
  return d;
}
const full = { 'ca.crt': ca.crt, 'server.crt': server.crt, 'server.key': server.key };

afterEach(() => {
  vi.restoreAllMocks();
});

it('a missing file is an InputError (exit 2) naming the file and how to make it', async () => {
  const d = pkiDir({ 'ca.crt': ca.crt, 'server.crt': server.crt });
  const e = await brokerCommand(['--pki', d]).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(InputError);
  expect((e as InputError).exitCode).toBe(2);
  expect((e as InputError).message).toBe(
    `${join(d, 'server.key')}: missing (create it with: herd pki ca --out ${d} && herd pki server --ca ${d} --out ${d})`,
  );
});

it('a key that does not match the certificate, or a file that is not PEM, is an InputError', async () => {
  const mismatch = pkiDir({ ...full, 'server.key': other.key });
  await expect(brokerCommand(['--pki', mismatch])).rejects.toThrow(
    `${join(mismatch, 'server.key')}: does not match server.crt`,
  );
  const garbage = pkiDir(full);
  writeFileSync(join(garbage, 'ca.crt'), 'not a certificate\n');
  await expect(brokerCommand(['--pki', garbage])).rejects.toThrow(
    new RegExp(`^${join(garbage, 'ca.crt')}: not a usable PEM file`),
  );
  const crl = pkiDir(full);
  writeFileSync(join(crl, 'crl.pem'), 'nope\n');
  await expect(brokerCommand(['--pki', crl])).rejects.toThrow(
    `${join(crl, 'crl.pem')}: not a usable PEM file: no X509 CRL in it`,
  );
});

it('bad flags are usage errors', async () => {
  await expect(brokerCommand(['--port', '70000', '--pki', pkiDir(full)])).rejects.toBeInstanceOf(UsageError);
  await expect(brokerCommand(['--identity', 'name'])).rejects.toThrow(
    '--identity: expected cn, spiffe or none, got "name"',
  );
  await expect(brokerCommand(['--bogus'])).rejects.toBeInstanceOf(UsageError);
});

it('serves on the printed port until SIGTERM', async () => {
  const d = pkiDir(full);
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const done = brokerCommand(['--pki', d]);
  await vi.waitFor(() => expect(out.join('')).toMatch(/listening/), { timeout: SAFETY_NET_MS });
  const m =
    /^herd broker listening on mqtts:\/\/127\.0\.0\.1:(\d+) \(client certificate required; client id = certificate CN\)\n$/.exec(
      out.join(''),
    );
  expect(m).not.toBeNull();
  const device = prepareDevice(
    { id: 'dev-1', certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: 4, keepaliveS: 30 },
  );
  const o = await new Promise<AttemptOutcome>((r) =>
    attempt(
      device,
      { host: '127.0.0.1', port: Number(m![1]) },
      { timeouts: { tcpMs: 3000, tlsMs: 3000, connackMs: 3000, subscribeMs: 3000 } },
      r,
    ),
  );
  expect(o.ok).toBe(true);
  if (o.ok) await o.held.disconnectAndWait(2000);
  process.emit('SIGTERM');
  expect(await done).toBe(0);
});
