/** `herd pki ca|server|device|mint|export|crl`: a thin user of src/pki. */
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import {
  createCa,
  exportDevice,
  issueDevice,
  issueServer,
  loadCa,
  mintStore,
  openStore,
  parseFaults,
  writeCrl,
  KEY_KINDS,
  type KeyKind,
  type MintKeyKind,
  type MintProgress,
} from '../pki/index.js';
import { findDevice } from '../pki/export.js';
import { LiveLine } from '../report/console/index.js';
import { readCertificatePem } from '../pki/pem-input.js';
import { badDeviceId } from '../pki/profile.js';
import {
  bool,
  list,
  nonNegativeInt,
  parse,
  positiveInt,
  requireStr,
  str,
  type OptionSpec,
  type Parsed,
} from './args.js';

const S = { type: 'string' } as const;
const B = { type: 'boolean' } as const;

const HELP: Record<string, string> = {
  ca: 'herd pki ca --out DIR [--cn NAME] [--org ORG] [--country CC] [--key p256|p384|rsa2048|ed25519] [--days N] [--force]',
  server:
    'herd pki server --ca DIR --out DIR [--dns localhost,...] [--ip 127.0.0.1,...] [--cn NAME] [--org ORG] [--country CC] [--key KIND] [--days N] [--force]',
  device:
    'herd pki device --ca DIR --out DIR --device-id ID [--uri-domain DOMAIN] [--org ORG] [--country CC] [--key KIND] [--force]',
  mint:
    'herd pki mint --ca DIR --count N --out STORE [--start K] [--id-template dev-{i}] [--seed S] [--threads T]\n' +
    '              [--uri-domain DOMAIN] [--org ORG] [--country CC] [--key p256|p384|ed25519|rsa2048] [--faults expired=1%,...]\n' +
    '              [--fault-span FIRST-LAST] [--force] [--quiet] [--json]\n' +
    "              (fault shares are exact over --fault-span, default the devices minted: give the whole fleet's\n" +
    '              when minting it in slices, so every slice gets the bytes one mint would)',
  export: 'herd pki export --store STORE --device-id ID --out DIR [--force]',
  crl:
    'herd pki crl --ca DIR --revoke ID[,ID...] [--store STORE] --out FILE [--days N] [--force]\n' +
    '              (without --store, an ID is DIR/ID.crt, or a certificate file)',
};

const USAGE = `Usage:\n${Object.values(HELP)
  .map((h) => `  ${h}`)
  .join('\n')}\n`;

function keyKind(p: Parsed): KeyKind | undefined {
  const k = str(p, 'key');
  if (k === undefined) return undefined;
  if (!(KEY_KINDS as readonly string[]).includes(k))
    throw new UsageError(`"${k}" is not one of ${KEY_KINDS.join(', ')}`, '--key');
  return k as KeyKind;
}

const say = (lines: string[]): void => void process.stdout.write(lines.map((l) => `${l}\n`).join(''));
const wrote = (files: string[]): void => say(files.map((f) => `wrote ${f}`));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function progressPrinter(quiet: boolean): { update: (p: MintProgress) => void; end: () => void } {
  const live = new LiveLine(process.stderr, { redrawEveryMs: 100, plainEveryMs: 2000 });
  const update = (p: MintProgress): void => {
    if (quiet) return;
    const line = `mint ${fmt(p.done)}/${fmt(p.total)} (${Math.floor((100 * p.done) / p.total)}%)  ${fmt(p.perSecond)} certs/s  ETA ${Math.ceil(p.etaSeconds)}s`;
    live.update(line, { force: p.done >= p.total });
  };
  return { update, end: () => live.done() };
}

const commands: Record<string, { options: OptionSpec; run: (p: Parsed) => Promise<void> }> = {
  ca: {
    options: { out: S, cn: S, org: S, country: S, key: S, days: S, force: B },
    run: async (p) => {
      const r = await createCa({
        out: requireStr(p, 'out'),
        cn: str(p, 'cn'),
        org: str(p, 'org'),
        country: str(p, 'country'),
        key: keyKind(p),
        days: positiveInt(p, 'days'),
        force: bool(p, 'force'),
      });
      wrote(r.files);
    },
  },
  server: {
    options: { ca: S, out: S, dns: S, ip: S, cn: S, org: S, country: S, key: S, days: S, force: B },
    run: async (p) => {
      const r = await issueServer({
        ca: requireStr(p, 'ca'),
        out: requireStr(p, 'out'),
        dns: list(p, 'dns'),
        ip: list(p, 'ip'),
        cn: str(p, 'cn'),
        org: str(p, 'org'),
        country: str(p, 'country'),
        key: keyKind(p),
        days: positiveInt(p, 'days'),
        force: bool(p, 'force'),
      });
      wrote(r.files);
    },
  },
  device: {
    options: { ca: S, out: S, 'device-id': S, 'uri-domain': S, org: S, country: S, key: S, force: B },
    run: async (p) => {
      const r = await issueDevice({
        ca: requireStr(p, 'ca'),
        out: requireStr(p, 'out'),
        deviceId: requireStr(p, 'device-id'),
        uriDomain: str(p, 'uri-domain'),
        org: str(p, 'org'),
        country: str(p, 'country'),
        key: keyKind(p),
        force: bool(p, 'force'),
      });
      wrote(r.files);
    },
  },
  mint: {
    options: {
      ca: S,
      count: S,
      start: S,
      'id-template': S,
      seed: S,
      threads: S,
      'uri-domain': S,
      org: S,
      country: S,
      key: S,
      faults: S,
      'fault-span': S,
      out: S,
      force: B,
      quiet: B,
      json: B,
    },
    run: async (p) => {
      const caDir = requireStr(p, 'ca');
      const count = positiveInt(p, 'count');
      if (count === undefined) throw new UsageError('is required', '--count');
      const out = requireStr(p, 'out');
      const faults = str(p, 'faults');
      const progress = progressPrinter(bool(p, 'quiet'));
      const s = await mintStore({
        caDir,
        count,
        out,
        start: nonNegativeInt(p, 'start'),
        idTemplate: str(p, 'id-template'),
        seed: str(p, 'seed'),
        threads: positiveInt(p, 'threads'),
        uriDomain: str(p, 'uri-domain'),
        org: str(p, 'org'),
        country: str(p, 'country'),
        // mintStore says which kinds it mints, and why not the others
        key: str(p, 'key') as MintKeyKind | undefined,
        faults: faults === undefined ? undefined : parseFaults(faults),
        faultSpan: faultSpan(p),
        force: bool(p, 'force'),
        onProgress: progress.update,
      });
      progress.end();
      if (bool(p, 'json')) return say([JSON.stringify(s)]);
      const faulty = Object.entries(s.faultCounts)
        .map(([f, n]) => `${f} ${n}`)
        .join(', ');
      say([
        `minted ${fmt(s.count)} devices in ${s.seconds.toFixed(2)} s: ${fmt(s.perSecond)} certs/s on ${s.threads} thread${s.threads === 1 ? '' : 's'}`,
        `wrote ${s.store} (${(s.bytes / 1e6).toFixed(1)} MB)${s.crlPath ? ` and ${s.crlPath}` : ''}`,
        s.seeded ? `seed ${s.seed}` : `seed ${s.seed} (random; pass --seed to choose one)`,
        ...(faulty ? [`faults: ${faulty}`] : []),
      ]);
    },
  },
  export: {
    options: { store: S, 'device-id': S, out: S, force: B },
    run: (p) => {
      wrote(
        exportDevice({
          store: requireStr(p, 'store'),
          deviceId: requireStr(p, 'device-id'),
          out: requireStr(p, 'out'),
          force: bool(p, 'force'),
        }),
      );
      return Promise.resolve();
    },
  },
  crl: {
    options: { ca: S, revoke: S, store: S, out: S, days: S, force: B },
    run: async (p) => {
      const ca = loadCa(requireStr(p, 'ca'));
      const ids = list(p, 'revoke') ?? [];
      if (ids.length === 0) throw new UsageError('is required (device ids, comma separated)', '--revoke');
      const out = requireStr(p, 'out');
      const serials = revokedSerials(ca, ids, str(p, 'store'));
      await writeCrl(out, { ca, serials, days: positiveInt(p, 'days'), force: bool(p, 'force') });
      say([`wrote ${out} (${serials.length} revoked)`]);
    },
  },
};

/** `--fault-span 0-999999`: devices FIRST to LAST, both included. */
function faultSpan(p: Parsed): { first: number; total: number } | undefined {
  const v = str(p, 'fault-span');
  if (v === undefined) return undefined;
  const m = /^(\d+)-(\d+)$/.exec(v);
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(last) || last < first)
    throw new UsageError(`expected devices FIRST-LAST (e.g. 0-9999), got "${v}"`, '--fault-span');
  return { first, total: last - first + 1 };
}

function revokedSerials(ca: ReturnType<typeof loadCa>, ids: string[], storePath: string | undefined): string[] {
  if (storePath !== undefined) {
    const store = openStore(storePath);
    try {
      if (store.meta.caCertPem.trim() !== ca.certPem.trim())
        throw new InputError({ file: storePath }, `was not minted by the CA in ${ca.dir}`);
      return ids.map((id) => new crypto.X509Certificate(store.device(findDevice(store, id)).certDer).serialNumber);
    } finally {
      store.close();
    }
  }
  return ids.map((id) => {
    const file = badDeviceId(id) === undefined && !existsSync(id) ? join(ca.dir, `${id}.crt`) : id;
    if (!existsSync(file))
      throw new InputError({ file }, 'not found (give --store STORE to revoke minted devices, or a certificate file)');
    const { cert } = readCertificatePem(file, 'the certificate of a device to revoke');
    if (!cert.checkIssued(ca.cert)) throw new InputError({ file }, `was not issued by ${ca.certPath}`);
    return cert.serialNumber;
  });
}

export async function pkiCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? process.stderr : process.stdout).write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const cmd = commands[sub];
  if (!cmd) throw new UsageError(`unknown command "herd pki ${sub}"\n${USAGE}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: ${HELP[sub]}\n`);
    return 0;
  }
  await cmd.run(parse(rest, cmd.options));
  return 0;
}
