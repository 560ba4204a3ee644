import { describe, it, expect, beforeAll } from 'vitest';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createCa, mintStore, openStore, type MintStats } from '../../src/pki/index.js';
import { InputError } from '../../src/errors.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-store-'));
const storePath = join(dir, 'devices.herd');
let stats: MintStats;

beforeAll(async () => {
  await createCa({ out: join(dir, 'pki') });
  stats = await mintStore({ caDir: join(dir, 'pki'), out: storePath, count: 2000, seed: 'store-test', threads: 2 });
});

/** Bytes this process has read so far, through any API (Linux: rchar in /proc/self/io). */
function bytesRead(): number {
  return Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('device store', () => {
  it('holds every device with its meta, private to its owner', () => {
    expect(statSync(storePath).mode & 0o777).toBe(0o600);
    expect(stats.count).toBe(2000);
    const s = openStore(storePath);
    expect(s.meta).toMatchObject({
      count: 2000,
      start: 0,
      idTemplate: 'dev-{i}',
      uriDomain: 'herd.local',
      seed: 'store-test',
      seeded: true,
      key: 'p256',
    });
    expect(s.meta.caCertPem).toBe(readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'));
    for (const i of [0, 1, 999, 1999]) {
      const d = s.device(i);
      expect(d.id).toBe(`dev-${i}`);
      expect(d.fault).toBeUndefined();
      const cert = new crypto.X509Certificate(d.certPem);
      expect(cert.subject).toContain(`CN=dev-${i}`);
      expect(cert.checkPrivateKey(crypto.createPrivateKey(d.keyPem))).toBe(true);
      expect(cert.verify(new crypto.X509Certificate(s.caCertPem).publicKey)).toBe(true);
    }
    expect(s.indexOf('dev-42')).toBe(42);
    expect(s.indexOf('dev-2000')).toBeUndefined();
    expect(s.indexOf('dev-042')).toBeUndefined();
    s.close();
  });

  it('records a random seed when none is given, so the store stays self-consistent', async () => {
    const out = join(dir, 'random.herd');
    const r = await mintStore({ caDir: join(dir, 'pki'), out, count: 10, threads: 1 });
    expect(r.seeded).toBe(false);
    const s = openStore(out);
    expect(s.meta.seed).toBe(r.seed);
    expect(s.meta.seeded).toBe(false);
    const again = await mintStore({
      caDir: join(dir, 'pki'),
      out: join(dir, 'again.herd'),
      count: 10,
      threads: 1,
      seed: r.seed,
    });
    const t = openStore(again.store);
    expect(t.device(7).certDer.equals(s.device(7).certDer)).toBe(true);
    s.close();
    t.close();
  });

  it('opens far faster than it mints: it reads the header, the metadata, the index and the one record asked for', () => {
    // counted in bytes read (by any API), not in milliseconds
    const before = bytesRead();
    const s = openStore(storePath);
    expect(s.device(1234).id).toBe('dev-1234');
    s.close();
    expect(bytesRead() - before).toBeLessThan(statSync(storePath).size / 10);
  });

  it('is read safely by several worker threads at once', async () => {
    const storeJs = join(PACKAGE_ROOT, 'dist', 'src', 'pki', 'store.js');
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const crypto = require('node:crypto');
      import(workerData.storeJs).then(({ openStore }) => {
        const s = openStore(workerData.path);
        const h = crypto.createHash('sha256');
        for (let i = workerData.w; i < s.count; i += workerData.n) h.update(s.device(i).certDer).update(s.device(i).keyDer);
        s.close();
        parentPort.postMessage(h.digest('hex'));
      });`;
    const n = 4;
    const got = await Promise.all(
      Array.from(
        { length: n },
        (_, w) =>
          new Promise<string>((resolve, reject) => {
            const worker = new Worker(code, { eval: true, workerData: { storeJs, path: storePath, w, n } });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    const s = openStore(storePath);
    const want = Array.from({ length: n }, (_, w) => {
      const h = crypto.createHash('sha256');
      for (let i = w; i < s.count; i += n) h.update(s.device(i).certDer).update(s.device(i).keyDer);
      return h.digest('hex');
    });
    s.close();
    expect(got).toEqual(want);
  });

  it('refuses a device it does not hold, naming the store', () => {
    const s = openStore(storePath);
    const e = errorOf(() => s.device(2000));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toContain(storePath);
    expect(e.message).toContain('0..1999');
    s.close();
  });

  it.each([
    ['missing', (p: string) => p + '.nope', /not found/],
    [
      'not a store',
      (p: string) => (
        writeFileSync(p + '.txt', 'hello world, not a store at all, but long enough for a header '),
        p + '.txt'
      ),
      /is not a herd device store/,
    ],
    [
      'truncated',
      (p: string) => (writeFileSync(p + '.cut', readFileSync(p).subarray(0, 5000)), p + '.cut'),
      /truncated or damaged/,
    ],
    [
      'incomplete',
      (p: string) => {
        const b = readFileSync(p);
        b.fill(0, 24, 32); // index offset 0: the mint did not finish
        writeFileSync(p + '.partial', b);
        return p + '.partial';
      },
      /incomplete/,
    ],
  ])('reports a %s store as bad input naming the file', (_name, make, msg) => {
    const path = make(storePath);
    const e = errorOf(() => openStore(path));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
    expect(e.message).toMatch(msg);
  });
});
