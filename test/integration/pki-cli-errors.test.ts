import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const MAIN = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'herd-bad-'));
const pki = join(dir, 'pki');
const store = join(dir, 'ok.herd');

function herd(...args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, err: r.stderr };
}

/** A file of a CA directory: copied from a path, written from text, or a directory in its place. */
type Content = string | { text: string } | { dir: true };

/** A CA directory with these two files (copied, or written from text). */
function caDir(name: string, crt: string | { text: string }, key: Content): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const put = (f: string, v: Content) => {
    if (typeof v === 'string') copyFileSync(v, join(d, f));
    else if ('dir' in v) mkdirSync(join(d, f));
    else writeFileSync(join(d, f), v.text);
  };
  put('ca.crt', crt);
  put('ca.key', key);
  return d;
}

beforeAll(() => {
  for (const args of [
    ['ca', '--out', pki],
    ['server', '--ca', pki, '--out', pki],
    ['mint', '--ca', pki, '--count', '5', '--out', store, '--quiet'],
  ]) {
    const r = herd('pki', ...args);
    if (r.code !== 0) throw new Error(r.err);
  }
});

const cases: [string, () => string[], RegExp | string][] = [
  [
    'a missing CA directory',
    () => ['device', '--ca', join(dir, 'nope'), '--out', dir, '--device-id', 'd'],
    `${join(dir, 'nope')}: not found`,
  ],
  [
    'a CA directory without ca.key',
    () => {
      const d = join(dir, 'nokey');
      mkdirSync(d, { recursive: true });
      copyFileSync(join(pki, 'ca.crt'), join(d, 'ca.crt'));
      return ['device', '--ca', d, '--out', dir, '--device-id', 'd'];
    },
    `${join(dir, 'nokey', 'ca.key')}: not found`,
  ],
  [
    'an unreadable CA key',
    () => ['device', '--ca', caDir('keydir', join(pki, 'ca.crt'), { dir: true }), '--out', dir, '--device-id', 'd'],
    `${join(dir, 'keydir', 'ca.key')}: is a directory`,
  ],
  [
    'a key that does not match its certificate',
    () => [
      'mint',
      '--ca',
      caDir('mismatch', join(pki, 'ca.crt'), join(pki, 'server.key')),
      '--count',
      '5',
      '--out',
      join(dir, 'm.herd'),
    ],
    `${join(dir, 'mismatch', 'ca.key')}: does not match the certificate ${join(dir, 'mismatch', 'ca.crt')}`,
  ],
  [
    'a non-CA certificate used as CA',
    () => [
      'mint',
      '--ca',
      caDir('nonca', join(pki, 'server.crt'), join(pki, 'server.key')),
      '--count',
      '5',
      '--out',
      join(dir, 'n.herd'),
    ],
    `${join(dir, 'nonca', 'ca.crt')}: is not a CA certificate`,
  ],
  [
    'a CA certificate that is not PEM',
    () => [
      'device',
      '--ca',
      caDir('garbage-crt', { text: 'hello' }, join(pki, 'ca.key')),
      '--out',
      dir,
      '--device-id',
      'd',
    ],
    `${join(dir, 'garbage-crt', 'ca.crt')}: is not a PEM certificate`,
  ],
  [
    'a CA key that is not PEM',
    () => [
      'device',
      '--ca',
      caDir('garbage-key', join(pki, 'ca.crt'), { text: 'hello' }),
      '--out',
      dir,
      '--device-id',
      'd',
    ],
    `${join(dir, 'garbage-key', 'ca.key')}: is not a PEM private key`,
  ],
  [
    'an encrypted CA key',
    () => {
      const enc = execFileSync('openssl', ['pkcs8', '-topk8', '-in', join(pki, 'ca.key'), '-passout', 'pass:x'], {
        encoding: 'utf8',
      });
      return [
        'device',
        '--ca',
        caDir('encrypted', join(pki, 'ca.crt'), { text: enc }),
        '--out',
        dir,
        '--device-id',
        'd',
      ];
    },
    'ca.key: is an encrypted private key',
  ],
  [
    'a CA key on an unsupported curve',
    () => {
      const d = join(dir, 'k1');
      mkdirSync(d, { recursive: true });
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:secp256k1',
          '-nodes',
          '-keyout',
          join(d, 'ca.key'),
          '-out',
          join(d, 'ca.crt'),
          '-subj',
          '/CN=k1',
          '-addext',
          'basicConstraints=critical,CA:TRUE',
        ],
        { stdio: 'ignore' },
      );
      return ['device', '--ca', d, '--out', dir, '--device-id', 'd'];
    },
    /k1\/ca\.key: EC curve secp256k1 is not supported/,
  ],
  [
    'a device id with a slash',
    () => ['device', '--ca', pki, '--out', dir, '--device-id', 'a/b'],
    '--device-id: "a/b" cannot be a certificate CN and a file name',
  ],
  [
    'a device id going up a directory',
    () => ['device', '--ca', pki, '--out', dir, '--device-id', '..'],
    '--device-id: ".." cannot be',
  ],
  [
    'a device id too long for a CN',
    () => ['device', '--ca', pki, '--out', dir, '--device-id', 'x'.repeat(65)],
    '--device-id: "xxx',
  ],
  [
    'a count of 0',
    () => ['mint', '--ca', pki, '--count', '0', '--out', join(dir, 'c.herd')],
    '--count: expected a positive integer, got "0"',
  ],
  [
    'a count of 1e3',
    () => ['mint', '--ca', pki, '--count', '1e3', '--out', join(dir, 'c.herd')],
    '--count: expected a positive integer, got "1e3"',
  ],
  [
    'a count of 2.5',
    () => ['mint', '--ca', pki, '--count', '2.5', '--out', join(dir, 'c.herd')],
    '--count: expected a positive integer',
  ],
  ['no count', () => ['mint', '--ca', pki, '--out', join(dir, 'c.herd')], '--count: is required'],
  [
    'zero threads',
    () => ['mint', '--ca', pki, '--count', '5', '--threads', '0', '--out', join(dir, 'c.herd')],
    '--threads: expected a positive integer',
  ],
  [
    'a bad fault list',
    () => ['mint', '--ca', pki, '--count', '5', '--faults', 'expired=1', '--out', join(dir, 'c.herd')],
    '--faults: "expired=1" is not NAME=PERCENT%',
  ],
  [
    'an id template without {i}',
    () => ['mint', '--ca', pki, '--count', '5', '--id-template', 'dev', '--out', join(dir, 'c.herd')],
    '--id-template: "dev" must contain "{i}"',
  ],
  [
    'an RSA key for minting',
    () => ['mint', '--ca', pki, '--count', '5', '--key', 'rsa2048', '--out', join(dir, 'c.herd')],
    '--key: rsa2048 keys cannot be derived from a seed',
  ],
  ['an unknown key kind', () => ['ca', '--out', join(dir, 'k'), '--key', 'dsa'], '--key: "dsa" is not one of'],
  [
    'a three-letter country',
    () => ['ca', '--out', join(dir, 'k'), '--country', 'USA'],
    '--country: "USA" is not a two-letter country code',
  ],
  [
    'a bad URI domain',
    () => ['device', '--ca', pki, '--out', dir, '--device-id', 'd', '--uri-domain', 'a b'],
    '--uri-domain: "a b" is not a DNS name',
  ],
  [
    'an existing store without --force',
    () => ['mint', '--ca', pki, '--count', '5', '--out', store],
    `${store}: already exists (use --force to overwrite)`,
  ],
  [
    'a device not in the store',
    () => ['export', '--store', store, '--device-id', 'dev-9', '--out', join(dir, 'e')],
    `${store}: has no device "dev-9" (it holds dev-0 .. dev-4)`,
  ],
  [
    'a file that is not a store',
    () => ['export', '--store', join(pki, 'ca.crt'), '--device-id', 'dev-1', '--out', join(dir, 'e')],
    `${join(pki, 'ca.crt')}: is not a herd device store`,
  ],
  [
    'a device to revoke that has no certificate file',
    () => ['crl', '--ca', pki, '--revoke', 'ghost', '--out', join(dir, 'crl.pem')],
    `${join(pki, 'ghost.crt')}: not found`,
  ],
  [
    'an unknown flag',
    () => ['mint', '--ca', pki, '--count', '5', '--out', join(dir, 'c.herd'), '--colour'],
    "Unknown option '--colour'",
  ],
];

describe('herd pki with bad input: exit 2, the file or flag named, no stack trace', () => {
  it.each(cases)('%s', (_name, args, message) => {
    const r = herd('pki', ...args());
    expect(r.code, r.err).toBe(2);
    expect(r.err.startsWith('herd: ')).toBe(true);
    if (typeof message === 'string') expect(r.err).toContain(message);
    else expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('leaves no partial store behind after a failed mint', () => {
    herd('pki', 'mint', '--ca', join(dir, 'nope'), '--count', '5', '--out', join(dir, 'never.herd'));
    expect(existsSync(join(dir, 'never.herd'))).toBe(false);
  });
});
