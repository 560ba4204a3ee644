/**
 * Mints a range of devices: what a mint worker runs. Device i's key, fault and
 * certificate are a pure function of (CA, job options, i): the same bytes whichever
 * worker, batch or slice mints it (the job's fault span, not the slice, decides the faults).
 */
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Fault } from '../model/names.js';
import { certParts, type CertParts } from './cert-parts.js';
import { bitString, oid, seq, set, time, unpem, utf8 } from './der.js';
import { CURVES, DeterministicEcdsa, publicPoint } from './ecdsa.js';
import { deviceProfile } from './device-cert.js';
import { FaultSpread, type FaultSpan } from './fault-spread.js';
import { faultOfCode, type FaultShares } from './faults.js';
import { DeviceKeyDeriver, keyIdentifier, type MintKeyKind } from './keys.js';
import { idFromTemplate, OID } from './profile.js';
import { checkRsaKey } from './rsa-key.js';
import { createSigner, ecdsaSigner, type Signer } from './signer.js';
import { assemble, SERIAL_BYTES, TbsTemplate, type TbsProfile } from './template.js';

/** Everything that decides the bytes of a mint (plus the CA's key to sign with). */
export interface MintJob {
  caCertPem: string;
  caKeyPem: string;
  seed: string;
  idTemplate: string;
  uriDomain: string;
  org: string;
  country: string;
  key: MintKeyKind;
  faults: FaultShares;
  /** The devices the fault shares are exact over (the whole run's, when a slice of it is minted). */
  faultSpan: FaultSpan;
}

/** A minted range: records are cert DER then key DER per device, back to back. */
export interface MintedBatch {
  start: number;
  count: number;
  records: Uint8Array;
  certLens: Uint16Array;
  keyLens: Uint16Array;
  faults: Uint8Array;
  /** Milliseconds spent per phase in this batch. */
  ms: { keygen: number; encode: number; sign: number };
}

type Variant = 'ok' | 'expired' | 'not_yet_valid' | 'wrong_ca' | 'cn_mismatch' | 'wrong_eku';
const VARIANT_OF: Record<Fault, Variant> = {
  expired: 'expired',
  not_yet_valid: 'not_yet_valid',
  wrong_ca: 'wrong_ca',
  revoked: 'ok',
  cn_mismatch: 'cn_mismatch',
  no_cert: 'ok',
  wrong_eku: 'wrong_eku',
};
const DAY = 86_400_000;
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59);

/** The CN a cn_mismatch device's certificate names instead of its client id. */
const mismatchName = (id: string): string => `not-${id}`;

/** The name of the throw-away CA that signs wrong_ca devices. */
const WRONG_CA_CN = 'mqtt-herd wrong CA';

/** Serial numbers: 16 bytes, positive, fixed length; a per-job tag then the index. */
export function serialTag(job: MintJob, ca: CertParts): Buffer {
  const { caKeyPem: _k, caCertPem: _c, faultSpan, ...rest } = job;
  // the span only changes bytes when there are faults: without any, serials do not depend on it
  const opts = Object.values(job.faults).some((v) => v > 0) ? { ...rest, faultSpan } : rest;
  return crypto
    .createHash('sha256')
    .update('herd/serial/v1')
    .update(JSON.stringify(opts))
    .update(ca.subject)
    .update(ca.publicKey)
    .digest()
    .subarray(0, 8);
}

export function deviceSerial(tag: Buffer, i: number): Buffer {
  const s = Buffer.allocUnsafe(SERIAL_BYTES);
  tag.copy(s, 0, 0, 8);
  s[0] = 0x40 | (s[0]! & 0x3f);
  s.writeBigUInt64BE(BigInt(i), 8);
  return s;
}

function validity(from: number, to: number): Buffer {
  const clamp = (t: number) => new Date(Math.min(LATEST, Math.floor(t / 1000) * 1000));
  return seq(time(clamp(from)), time(clamp(to)));
}

/** A signer and issuer name from a P-256 scalar derived from the seed: the wrong CA. */
function wrongCa(seed: string, org: string): { signer: Signer; issuer: Buffer; keyId: Buffer } {
  const c = CURVES['P-256'];
  const scalar = crypto.createHmac('sha256', seed).update('herd/wrong-ca/v1').digest();
  const point = publicPoint(crypto.createECDH(c.openssl), scalar);
  const spki = seq(seq(oid('1.2.840.10045.2.1'), oid(c.oid)), bitString(point));
  const pub = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const issuer = seq(set(seq(oid(OID.org), utf8(org))), set(seq(oid(OID.cn), utf8(WRONG_CA_CN))));
  return { signer: ecdsaSigner(new DeterministicEcdsa(c, scalar), pub), issuer, keyId: keyIdentifier(point) };
}

export class Minter {
  readonly ca: CertParts;
  readonly tag: Buffer;
  private readonly deriver: DeviceKeyDeriver;
  private readonly spread: FaultSpread;
  private readonly templates = new Map<Variant, { t: TbsTemplate; signer: Signer }>();

  constructor(readonly job: MintJob) {
    const caDer = unpem(job.caCertPem, 'CERTIFICATE')[0];
    if (!caDer) throw new Error('mint job: no CA certificate');
    this.ca = certParts(caDer);
    this.tag = serialTag(job, this.ca);
    this.deriver = new DeviceKeyDeriver(job.key, job.seed);
    this.spread = new FaultSpread(job.faults, job.faultSpan, job.seed);
    const signer = createSigner(crypto.createPrivateKey(job.caKeyPem));
    const key = { spkiLength: this.deriver.spkiLength, rsa: job.key === 'rsa2048' };
    const base = deviceProfile(this.ca, signer, job, key);
    const nb = this.ca.notBefore.getTime();
    const na = this.ca.notAfter.getTime();
    const wrong = wrongCa(job.seed, job.org);
    const add = (v: Variant, p: Partial<TbsProfile>, s = signer) =>
      this.templates.set(v, { t: new TbsTemplate({ ...base, ...p }), signer: s });
    add('ok', {});
    add('cn_mismatch', {});
    add('expired', { validity: validity(nb - 31 * DAY, nb - DAY) });
    add('not_yet_valid', { validity: validity(na + DAY, na + 366 * DAY) });
    add('wrong_eku', { eku: 'serverAuth' });
    add(
      'wrong_ca',
      { sigAlg: wrong.signer.algorithm, issuer: wrong.issuer, authorityKeyId: wrong.keyId },
      wrong.signer,
    );
  }

  /** Device i's fault (without minting it). */
  fault(i: number): Fault | undefined {
    return this.spread.fault(i);
  }

  mint(start: number, count: number): MintedBatch {
    const t0 = performance.now();
    const keys = new Array<ReturnType<DeviceKeyDeriver['key']>>(count);
    const faults = new Uint8Array(count);
    const variants = new Array<Variant>(count);
    const spread = this.spread.empty ? undefined : this.spread;
    for (let j = 0; j < count; j++) {
      const code = spread ? spread.code(start + j) : 0;
      faults[j] = code;
      variants[j] = code === 0 ? 'ok' : VARIANT_OF[faultOfCode(code)!];
      keys[j] = this.deriver.key(start + j);
    }
    if (this.job.key === 'rsa2048' && count > 0 && !checkRsaKey(keys[0]!))
      throw new Error(`mint: RSA key check failed at device ${start}`);
    const t1 = performance.now();
    const tbs = new Array<Buffer>(count);
    const groups = new Map<Variant, number[]>();
    for (let j = 0; j < count; j++) {
      const v = variants[j]!;
      const k = keys[j]!;
      const id = idFromTemplate(this.job.idTemplate, start + j);
      const name = v === 'cn_mismatch' ? mismatchName(id) : id;
      tbs[j] = this.templates
        .get(v)!
        .t.fill(name, deviceSerial(this.tag, start + j), k.spki, keyIdentifier(k.publicKey));
      const g = groups.get(v === 'wrong_ca' ? 'wrong_ca' : 'ok') ?? [];
      g.push(j);
      groups.set(v === 'wrong_ca' ? 'wrong_ca' : 'ok', g);
    }
    const t2 = performance.now();
    const sigs = new Array<Buffer>(count);
    for (const [v, idx] of groups) {
      const { signer } = this.templates.get(v)!;
      const out = signer.sign(idx.map((j) => tbs[j]!));
      idx.forEach((j, n) => (sigs[j] = out[n]!));
      const first = idx[0];
      if (first !== undefined && !signer.verify(tbs[first]!, sigs[first]!))
        throw new Error(`mint: signature check failed at device ${start + first}`);
    }
    const t3 = performance.now();
    const certs = new Array<Buffer>(count);
    const certLens = new Uint16Array(count);
    const keyLens = new Uint16Array(count);
    let total = 0;
    for (let j = 0; j < count; j++) {
      const { signer } = this.templates.get(variants[j] === 'wrong_ca' ? 'wrong_ca' : 'ok')!;
      certs[j] = assemble(tbs[j]!, signer.algorithm, sigs[j]!);
      certLens[j] = certs[j]!.length;
      keyLens[j] = keys[j]!.pkcs8.length;
      total += certLens[j]! + keyLens[j]!;
    }
    const records = Buffer.allocUnsafe(total);
    let at = 0;
    for (let j = 0; j < count; j++) {
      at += certs[j]!.copy(records, at);
      at += keys[j]!.pkcs8.copy(records, at);
    }
    const t4 = performance.now();
    return {
      start,
      count,
      records,
      certLens,
      keyLens,
      faults,
      ms: { keygen: t1 - t0, encode: t2 - t1 + (t4 - t3), sign: t3 - t2 },
    };
  }
}
