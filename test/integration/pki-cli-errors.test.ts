import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { InputError } from '../../src/errors.js';
import { readServerCaPem } from '../../src/pki/index.js';

const MAIN = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'herd-bad-'));
const pki = join(dir, 'pki');
const store = join(dir, 'ok.herd');

function herd(...args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, err: r.stderr };
}

/** A file of a CA directory: copied from a path, written from text or bytes, or a directory in its place. */
type Content = string | { text: string } | { bytes: Buffer } | { dir: true };

/** Bytes no PEM reader should take for anything. */
const GARBAGE = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 167 + 13) % 256));

/** A CA directory with these two files. */
function caDir(name: string, crt: Content, key: Content): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const put = (f: string, v: Content) => {
    if (typeof v === 'string') copyFileSync(v, join(d, f));
    else if ('dir' in v) mkdirSync(join(d, f));
    else writeFileSync(join(d, f), 'text' in v ? v.text : v.bytes);
  };
  put('ca.crt', crt);
  put('ca.key', key);
  return d;
}

/** A file in the test directory with these bytes; returns its path. */
function file(name: string, bytes: Buffer): string {
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}

const storeBytes = (): Buffer => readFileSync(store);
const derOf = (pemFile: string): Buffer => Buffer.from(new crypto.X509Certificate(readFileSync(pemFile)).raw);

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
    'fault shares that round to more devices than minted',
    () => ['mint', '--ca', pki, '--count', '3', '--faults', 'expired=50%,revoked=50%', '--out', join(dir, 'c.herd')],
    '--faults: the shares, rounded over 3 devices, give 4 faulty devices (expired 2, revoked 2), more than there are',
  ],
  [
    'a fault span backwards',
    () => ['mint', '--ca', pki, '--count', '5', '--fault-span', '9-0', '--out', join(dir, 'c.herd')],
    '--fault-span: expected devices FIRST-LAST (e.g. 0-9999), got "9-0"',
  ],
  [
    'a fault span that does not hold the devices minted',
    () => ['mint', '--ca', pki, '--count', '20', '--start', '10', '--fault-span', '0-19', '--out', join(dir, 'c.herd')],
    '--fault-span: devices 0-19 do not hold the devices minted (10-29)',
  ],
  [
    'an id template without {i}',
    () => ['mint', '--ca', pki, '--count', '5', '--id-template', 'dev', '--out', join(dir, 'c.herd')],
    '--id-template: "dev" must contain "{i}"',
  ],
  [
    'an RSA-4096 key for minting',
    () => ['mint', '--ca', pki, '--count', '5', '--key', 'rsa4096', '--out', join(dir, 'c.herd')],
    '--key: rsa4096 device keys are not minted: deriving an RSA-2048 key already takes tens of milliseconds',
  ],
  [
    'an unknown key kind for minting',
    () => ['mint', '--ca', pki, '--count', '5', '--key', 'dsa', '--out', join(dir, 'c.herd')],
    '--key: expected p256, p384, ed25519 or rsa2048, got "dsa"',
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
    'a CA certificate of binary garbage',
    () => [
      'device',
      '--ca',
      caDir('bin-crt', { bytes: GARBAGE }, join(pki, 'ca.key')),
      '--out',
      dir,
      '--device-id',
      'd',
    ],
    `${join(dir, 'bin-crt', 'ca.crt')}: is not a PEM certificate (it holds binary data)`,
  ],
  [
    'a CA certificate in DER',
    () => [
      'device',
      '--ca',
      caDir('der-crt', { bytes: derOf(join(pki, 'ca.crt')) }, join(pki, 'ca.key')),
      '--out',
      dir,
      '--device-id',
      'd',
    ],
    `${join(dir, 'der-crt', 'ca.crt')}: is not a PEM certificate (it is a DER certificate; convert it with: openssl x509 -inform der`,
  ],
  [
    'a private key where the CA certificate belongs',
    () => [
      'mint',
      '--ca',
      caDir('key-as-crt', join(pki, 'ca.key'), join(pki, 'ca.key')),
      '--count',
      '5',
      '--out',
      join(dir, 'k.herd'),
    ],
    `${join(dir, 'key-as-crt', 'ca.crt')}: is not a PEM certificate (it holds a private key); expected the CA certificate`,
  ],
  [
    'a certificate where the CA key belongs',
    () => [
      'mint',
      '--ca',
      caDir('crt-as-key', join(pki, 'ca.crt'), join(pki, 'ca.crt')),
      '--count',
      '5',
      '--out',
      join(dir, 'k.herd'),
    ],
    `${join(dir, 'crt-as-key', 'ca.key')}: is not a PEM private key (it holds a certificate)`,
  ],
  [
    'a CA key of binary garbage',
    () => [
      'device',
      '--ca',
      caDir('bin-key', join(pki, 'ca.crt'), { bytes: GARBAGE }),
      '--out',
      dir,
      '--device-id',
      'd',
    ],
    `${join(dir, 'bin-key', 'ca.key')}: is not a PEM private key (it holds binary data)`,
  ],
  [
    'an empty CA certificate',
    () => ['device', '--ca', caDir('empty-crt', { text: '' }, join(pki, 'ca.key')), '--out', dir, '--device-id', 'd'],
    `${join(dir, 'empty-crt', 'ca.crt')}: is not a PEM certificate (it is empty)`,
  ],
  [
    'a damaged certificate block',
    () => [
      'device',
      '--ca',
      caDir(
        'damaged',
        { text: '-----BEGIN CERTIFICATE-----\nMIIBkzCCATmgAwIBAgIU\n-----END CERTIFICATE-----\n' },
        join(pki, 'ca.key'),
      ),
      '--out',
      dir,
      '--device-id',
      'd',
    ],
    `${join(dir, 'damaged', 'ca.crt')}: is not a valid X.509 certificate`,
  ],
  [
    'a directory where the CA certificate belongs',
    () => ['device', '--ca', caDir('crt-dir', { dir: true }, join(pki, 'ca.key')), '--out', dir, '--device-id', 'd'],
    `${join(dir, 'crt-dir', 'ca.crt')}: is a directory, expected a file`,
  ],
  [
    'a store that is a directory',
    () => ['export', '--store', pki, '--device-id', 'dev-1', '--out', join(dir, 'e')],
    `${pki}: is a directory, expected a device store`,
  ],
  [
    'a store of binary garbage',
    () => ['export', '--store', file('garbage.herd', GARBAGE), '--device-id', 'dev-1', '--out', join(dir, 'e')],
    `${join(dir, 'garbage.herd')}: is not a herd device store`,
  ],
  [
    'an empty store',
    () => ['export', '--store', file('empty.herd', Buffer.alloc(0)), '--device-id', 'dev-1', '--out', join(dir, 'e')],
    `${join(dir, 'empty.herd')}: is empty, not a herd device store`,
  ],
  [
    'a store cut inside its header',
    () => [
      'export',
      '--store',
      file('head.herd', storeBytes().subarray(0, 20)),
      '--device-id',
      'dev-1',
      '--out',
      join(dir, 'e'),
    ],
    `${join(dir, 'head.herd')}: is truncated (shorter than a store header)`,
  ],
  [
    'a store cut in half',
    () => {
      const b = storeBytes();
      return [
        'export',
        '--store',
        file('half.herd', b.subarray(0, b.length >> 1)),
        '--device-id',
        'dev-1',
        '--out',
        join(dir, 'e'),
      ];
    },
    `${join(dir, 'half.herd')}: is truncated or damaged`,
  ],
  [
    'a store of another format version',
    () => {
      const b = Buffer.from(storeBytes());
      b.writeUInt32LE(7, 8);
      return ['crl', '--ca', pki, '--store', file('v7.herd', b), '--revoke', 'dev-1', '--out', join(dir, 'v7.crl')];
    },
    `${join(dir, 'v7.herd')}: has store format 7; this herd reads format 1`,
  ],
  [
    "a store whose metadata is not a store's",
    () => {
      const b = storeBytes();
      const metaOffset = Number(b.readBigUInt64LE(16));
      const meta = Buffer.from(JSON.stringify({ count: 5 }).padEnd(b.length - metaOffset, ' '));
      return [
        'export',
        '--store',
        file('meta.herd', Buffer.concat([b.subarray(0, metaOffset), meta])),
        '--device-id',
        'dev-1',
        '--out',
        join(dir, 'e'),
      ];
    },
    `${join(dir, 'meta.herd')}: has damaged metadata`,
  ],
  [
    'a key given as the certificate of a device to revoke',
    () => ['crl', '--ca', pki, '--revoke', join(pki, 'server.key'), '--out', join(dir, 'r.crl')],
    `${join(pki, 'server.key')}: is not a PEM certificate (it holds a private key)`,
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

describe('unreadable input files: exit 2, the file named', () => {
  // root reads every file whatever its mode: then herd runs as nobody
  const unprivileged = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const open = mkdtempSync(join(tmpdir(), 'herd-perm-'));
  chmodSync(open, 0o755);

  function herdLocked(...args: string[]): { code: number | null; err: string } {
    const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: open, ...unprivileged });
    return { code: r.status, err: r.stderr };
  }

  it.each([
    ['a CA certificate', 'ca.crt'],
    ['a CA key', 'ca.key'],
  ])('%s without read permission', (_name, locked) => {
    const d = join(open, `ca-${locked}`);
    mkdirSync(d);
    chmodSync(d, 0o755);
    for (const f of ['ca.crt', 'ca.key']) {
      copyFileSync(join(pki, f), join(d, f));
      chmodSync(join(d, f), f === locked ? 0o000 : 0o644);
    }
    const r = herdLocked('pki', 'device', '--ca', d, '--out', join(open, 'out'), '--device-id', 'd');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`${join(d, locked)}: cannot be read (permission denied)`);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('a store without read permission', () => {
    const s = join(open, 'locked.herd');
    copyFileSync(store, s);
    chmodSync(s, 0o000);
    const r = herdLocked('pki', 'export', '--store', s, '--device-id', 'dev-1', '--out', join(open, 'e'));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`${s}: cannot be read (permission denied)`);
  });
});

describe('herd broker --pki DIR with bad files: exit 2, the file named', () => {
  /** A broker PKI directory: the good files, with some replaced. */
  function brokerDir(name: string, files: Record<string, Content>): string {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    const all: Record<string, Content> = {
      'ca.crt': join(pki, 'ca.crt'),
      'server.crt': join(pki, 'server.crt'),
      'server.key': join(pki, 'server.key'),
      ...files,
    };
    for (const [f, v] of Object.entries(all)) {
      if (typeof v === 'string') copyFileSync(v, join(d, f));
      else if ('dir' in v) mkdirSync(join(d, f));
      else writeFileSync(join(d, f), 'text' in v ? v.text : v.bytes);
    }
    return d;
  }

  it.each([
    [
      'a CA certificate of binary garbage',
      { 'ca.crt': { bytes: GARBAGE } },
      'ca.crt',
      /not a usable PEM file: .*binary data/,
    ],
    [
      'a certificate for the server key',
      { 'server.key': join(pki, 'server.crt') },
      'server.key',
      /holds a certificate/,
    ],
    [
      'a key for the server certificate',
      { 'server.crt': join(pki, 'server.key') },
      'server.crt',
      /holds a private key/,
    ],
    ['a CA certificate that is not a CA', { 'ca.crt': join(pki, 'server.crt') }, 'ca.crt', /is not a CA certificate/],
    ['a directory for the server certificate', { 'server.crt': { dir: true } }, 'server.crt', /is a directory/],
    [
      'a server key of another certificate',
      { 'server.key': join(pki, 'ca.key') },
      'server.key',
      /does not match server\.crt/,
    ],
  ] as [string, Record<string, Content>, string, RegExp][])('%s', (name, files, bad, message) => {
    const d = brokerDir(`broker-${name.replace(/\W+/g, '-')}`, files);
    const r = spawnSync(process.execPath, [MAIN, 'broker', '--pki', d], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`herd: ${join(d, bad)}: `);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('readServerCaPem: what `herd run --server-ca FILE` trusts', () => {
  const fail = (f: string): InputError => {
    try {
      readServerCaPem(f);
    } catch (e) {
      return e as InputError;
    }
    throw new Error(`${f} was taken`);
  };

  it('reads a CA certificate, and a bundle of several, as clean PEM', () => {
    const one = readServerCaPem(join(pki, 'ca.crt'));
    expect(one).toBe(readFileSync(join(pki, 'ca.crt'), 'utf8'));
    const other = join(dir, 'other-ca');
    expect(herd('pki', 'ca', '--out', other).code).toBe(0);
    const bundle = file(
      'bundle.pem',
      Buffer.concat([readFileSync(join(pki, 'ca.crt')), readFileSync(join(other, 'ca.crt'))]),
    );
    expect(readServerCaPem(bundle).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it.each([
    [
      'binary garbage',
      () => file('srv-garbage.pem', GARBAGE),
      /: is not a PEM certificate \(it holds binary data\); expected the CA/,
    ],
    ['a private key', () => join(pki, 'server.key'), /: is not a PEM certificate \(it holds a private key\)/],
    [
      'text that is not PEM',
      () => file('srv-text.pem', Buffer.from('hello\n')),
      /: is not a PEM certificate \(it holds no "-----BEGIN" line\)/,
    ],
    ['a directory', () => pki, /: is a directory, expected a file/],
    ['a missing file', () => join(dir, 'no-such-ca.pem'), /: not found/],
  ])('refuses %s, naming the file (exit 2)', (_name, path, message) => {
    const f = path();
    const e = fail(f);
    expect(e).toBeInstanceOf(InputError);
    expect(e.exitCode).toBe(2);
    expect(e.message.startsWith(`${f}: `)).toBe(true);
    expect(e.message).toMatch(message);
  });
});
