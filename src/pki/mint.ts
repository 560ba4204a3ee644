/**
 * `herd pki mint`: devices minted in batches on a Piscina pool of worker threads and
 * written, in index order, into one store file. The coordinator only schedules batches
 * and writes; workers derive keys, fill templates and sign.
 */
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Piscina } from 'piscina';
import { UsageError } from '../errors.js';
import { FAULTS, type Fault } from '../model/names.js';
import { workerFile, childExecArgv } from '../util/paths.js';
import { loadCa, type LoadedCa } from './ca.js';
import { checkFaultSpan, exactFaultCounts, type FaultSpan } from './fault-spread.js';
import { checkFaultShares, faultCode, type FaultShares } from './faults.js';
import { checkWritable } from './files.js';
import { unmintableKey, type MintKeyKind } from './keys.js';
import { deviceSerial, serialTag, type MintedBatch, type MintJob } from './minter.js';
import {
  checkCountry,
  checkDomain,
  checkIdTemplate,
  checkNameValue,
  DEFAULTS,
  idFromTemplate,
  MAX_ID_LENGTH,
} from './profile.js';
import { FORMAT_VERSION, type StoreMeta } from './store-format.js';
import { StoreWriter } from './store-writer.js';

const REVOKED = faultCode('revoked');

export interface MintOptions {
  caDir: string;
  /** The CA already loaded from caDir (saves loading it twice). */
  ca?: LoadedCa;
  out: string;
  count: number;
  start?: number;
  idTemplate?: string;
  /** Without a seed a random one is used (and recorded in the store's meta). */
  seed?: string;
  threads?: number;
  uriDomain?: string;
  org?: string;
  country?: string;
  key?: MintKeyKind;
  faults?: FaultShares;
  /**
   * The devices the fault shares are exact over; default the minted ones. A slice of a
   * larger fleet (a shard) gives the fleet's, so that slices minted apart agree with one mint.
   */
  faultSpan?: FaultSpan;
  force?: boolean;
  /** Devices per worker task. */
  batchSize?: number;
  onProgress?: (p: MintProgress) => void;
}

export interface MintProgress {
  done: number;
  total: number;
  seconds: number;
  perSecond: number;
  etaSeconds: number;
  /** The batch just written: its size and the worker milliseconds it took (per-certificate cost = ms / count). */
  batch: { count: number; ms: number };
}

export interface MintStats {
  count: number;
  /** Wall time of the whole mint: loading the CA, starting workers, minting, writing. */
  seconds: number;
  perSecond: number;
  threads: number;
  store: string;
  bytes: number;
  seed: string;
  seeded: boolean;
  faultCounts: Partial<Record<Fault, number>>;
  crlPath?: string;
  /** Milliseconds summed over workers (keygen, encode, sign) and on the main thread (store). */
  phases: { keygenMs: number; encodeMs: number; signMs: number; storeMs: number };
}

export interface MintTask {
  jobKey: string;
  job: MintJob;
  start: number;
  count: number;
}

function check(
  o: MintOptions,
): Required<
  Pick<
    MintOptions,
    'start' | 'idTemplate' | 'threads' | 'uriDomain' | 'org' | 'country' | 'key' | 'faults' | 'batchSize'
  >
> & { faultSpan: FaultSpan } {
  if (!Number.isSafeInteger(o.count) || o.count < 1)
    throw new UsageError(`expected a positive integer, got "${o.count}"`, '--count');
  const start = o.start ?? 0;
  if (!Number.isSafeInteger(start) || start < 0 || start + o.count > 2 ** 48)
    throw new UsageError(`expected a non-negative integer, got "${start}"`, '--start');
  const threads = o.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1)
    throw new UsageError(`expected a positive integer, got "${threads}"`, '--threads');
  const idTemplate = checkIdTemplate(o.idTemplate ?? DEFAULTS.idTemplate);
  const longest = idFromTemplate(idTemplate, start + o.count - 1);
  if (longest.length > MAX_ID_LENGTH)
    throw new UsageError(`device id "${longest}" would be longer than ${MAX_ID_LENGTH} characters`, '--id-template');
  const key = o.key ?? 'p256';
  const unmintable = unmintableKey(key);
  if (unmintable) throw new UsageError(unmintable, '--key');
  const faults = checkFaultShares(o.faults ?? {});
  const faultSpan = checkFaultSpan(o.faultSpan ?? { first: start, total: o.count }, start, o.count);
  exactFaultCounts(faults, faultSpan.total);
  return {
    start,
    threads,
    idTemplate,
    key,
    uriDomain: checkDomain(o.uriDomain ?? DEFAULTS.uriDomain, '--uri-domain'),
    org: checkNameValue(o.org ?? DEFAULTS.org, '--org'),
    country: checkCountry(o.country ?? DEFAULTS.country),
    faults,
    faultSpan,
    // an RSA key takes ~3,000 times an EC key's time: smaller batches keep threads and progress even
    batchSize: Math.max(1, Math.min(o.batchSize ?? (key === 'rsa2048' ? 8 : 256), Math.ceil(o.count / threads))),
  };
}

type Checked = ReturnType<typeof check>;

/**
 * Runs every batch on the pool, at most `depth` at a time, and hands the results to `take`
 * in index order (the store is written in device order whatever order the threads finish in).
 */
function mintInOrder(
  pool: Piscina<MintTask, MintedBatch>,
  task: (batch: number) => MintTask,
  batches: number,
  depth: number,
  take: (b: MintedBatch) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const pending = new Map<number, MintedBatch>();
    let next = 0;
    let flushed = 0;
    let inflight = 0;
    let failed = false;
    const fail = (e: unknown): void => {
      failed = true;
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const pump = (): void => {
      while (!failed && inflight < depth && next < batches) {
        const b = next++;
        inflight++;
        pool.run(task(b)).then((r) => {
          inflight--;
          pending.set(b, r);
          try {
            for (let x = pending.get(flushed); x; x = pending.get(flushed)) {
              pending.delete(flushed++);
              take(x);
            }
          } catch (e) {
            fail(e);
            return;
          }
          if (flushed === batches) resolve();
          else pump();
        }, fail);
      }
    };
    pump();
  });
}

/** What the batches add up to as they are written: fault counts, revoked serials, time per phase, progress. */
class Tally {
  readonly phases = { keygenMs: 0, encodeMs: 0, signMs: 0, storeMs: 0 };
  readonly revoked: string[] = [];
  private readonly perCode = new Array<number>(FAULTS.length + 1).fill(0);
  private done = 0;

  constructor(
    private readonly writer: StoreWriter,
    private readonly tag: Buffer,
    private readonly o: MintOptions,
    private readonly t0: number,
  ) {}

  take(b: MintedBatch): void {
    const w0 = performance.now();
    this.writer.append(b);
    for (let j = 0; j < b.count; j++) {
      const code = b.faults[j]!;
      this.perCode[code]!++;
      if (code === REVOKED) this.revoked.push(deviceSerial(this.tag, b.start + j).toString('hex'));
    }
    this.phases.storeMs += performance.now() - w0;
    this.phases.keygenMs += b.ms.keygen;
    this.phases.encodeMs += b.ms.encode;
    this.phases.signMs += b.ms.sign;
    this.done += b.count;
    const seconds = (performance.now() - this.t0) / 1000;
    const perSecond = this.done / seconds;
    const total = this.o.count;
    const batch = { count: b.count, ms: b.ms.keygen + b.ms.encode + b.ms.sign };
    this.o.onProgress?.({
      done: this.done,
      total,
      seconds,
      perSecond,
      etaSeconds: (total - this.done) / perSecond,
      batch,
    });
  }

  faultCounts(): Partial<Record<Fault, number>> {
    const counts: Partial<Record<Fault, number>> = {};
    for (const f of FAULTS) if (this.perCode[faultCode(f)]) counts[f] = this.perCode[faultCode(f)]!;
    return counts;
  }
}

function storeMeta(
  o: MintOptions,
  v: Checked,
  job: MintJob,
  ca: LoadedCa,
  extra: Pick<StoreMeta, 'seeded' | 'faultCounts' | 'serialTag' | 'crlPath'>,
): StoreMeta {
  return {
    format: 'mqtt-herd device store',
    version: FORMAT_VERSION,
    count: o.count,
    start: v.start,
    idTemplate: v.idTemplate,
    uriDomain: v.uriDomain,
    org: v.org,
    country: v.country,
    seed: job.seed,
    seeded: extra.seeded,
    key: v.key,
    caCertPem: ca.certPem,
    caFingerprint: crypto.createHash('sha256').update(ca.cert.raw).digest('hex'),
    created: new Date().toISOString(),
    faults: v.faults,
    faultSpan: v.faultSpan,
    faultCounts: extra.faultCounts,
    serialTag: extra.serialTag,
    ...(extra.crlPath ? { crlPath: extra.crlPath } : {}),
  };
}

export async function mintStore(o: MintOptions): Promise<MintStats> {
  const t0 = performance.now();
  const v = check(o);
  const crlPath = (v.faults.revoked ?? 0) > 0 ? join(o.caDir, 'crl.pem') : undefined;
  checkWritable([o.out], o.force ?? false);
  const ca = o.ca ?? loadCa(o.caDir);
  // Revoked devices join the CA's crl.pem: slices minted one after another share one CRL.
  // --force starts it afresh.
  const crlKept =
    crlPath && !o.force && existsSync(crlPath) ? await (await import('./crl.js')).readCrlSerials(crlPath, ca) : [];
  const seeded = o.seed !== undefined;
  const job: MintJob = {
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    seed: o.seed ?? crypto.randomBytes(16).toString('hex'),
    idTemplate: v.idTemplate,
    uriDomain: v.uriDomain,
    org: v.org,
    country: v.country,
    key: v.key,
    faults: v.faults,
    faultSpan: v.faultSpan,
  };
  const tag = serialTag(job, ca.parts);
  const { Piscina } = await import('piscina');
  const pool = new Piscina<MintTask, MintedBatch>({
    filename: workerFile('mint'),
    minThreads: v.threads,
    maxThreads: v.threads,
    execArgv: childExecArgv(),
  });
  const writer = new StoreWriter(o.out, o.count);
  const tally = new Tally(writer, tag, o, t0);
  try {
    const jobKey = crypto.randomUUID();
    const task = (b: number): MintTask => {
      const start = v.start + b * v.batchSize;
      return { jobKey, job, start, count: Math.min(v.batchSize, v.start + o.count - start) };
    };
    await mintInOrder(pool, task, Math.ceil(o.count / v.batchSize), v.threads * 4, (b) => tally.take(b));
    if (crlPath)
      await (await import('./crl.js')).writeCrl(crlPath, { ca, serials: [...crlKept, ...tally.revoked], force: true });
    const w0 = performance.now();
    const extra = { seeded, faultCounts: tally.faultCounts(), serialTag: tag.toString('hex'), crlPath };
    writer.finish(storeMeta(o, v, job, ca, extra));
    tally.phases.storeMs += performance.now() - w0;
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    await pool.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    count: o.count,
    seconds,
    perSecond: o.count / seconds,
    threads: v.threads,
    store: o.out,
    bytes: writer.bytes,
    seed: job.seed,
    seeded,
    faultCounts: tally.faultCounts(),
    phases: tally.phases,
    ...(crlPath ? { crlPath } : {}),
  };
}
