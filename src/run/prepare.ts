/**
 * Stage 3, prepare: the exporter (first, so Prometheus sees the minting), a private work
 * directory, the devices' credentials (minted, or opened from a store) and, without a
 * target, the embedded broker. `release()` undoes it all, whatever happened.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import type { Summary } from '../model/summary.js';
import {
  createCa,
  issueServer,
  loadCa,
  mintClientIdentities,
  mintStore,
  openStore,
  type ClientIdentity,
  type DeviceStore,
  type LoadedCa,
} from '../pki/index.js';
import { badDeviceId } from '../pki/profile.js';
import { clientSlots } from '../engine/clients/specs.js';
import { startExporter, type HerdExporter } from '../metrics/exporter.js';
import type { TargetSpec } from '../engine/protocol.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../engine/embedded-broker.js';
import type { RunPlan } from './plan.js';
import { defaultShardSeed } from './shard.js';

export interface Credentials {
  store: DeviceStore;
  storePath: string;
  serverCaPem: string;
  caDir: string | undefined;
  mint: Summary['mint'];
  /** store index of this shard's first device */
  deviceStart: number;
  /** the traffic's extra clients (subscribers, controllers), with certificates from the run's CA */
  clients: ClientIdentity[];
}

export interface Prepared {
  exporter: HerdExporter | undefined;
  creds: Credentials;
  broker: EmbeddedBroker | undefined;
  /** where the devices connect: the plan's targets, or the embedded broker */
  targets: TargetSpec[];
  servername: string | undefined;
  /** ends what was started and removes the work directory (keeps the exporter when `keepExporter`) */
  release(keepExporter: boolean): Promise<void>;
}

export interface PrepareHooks {
  info: (line: string) => void;
  onBroker?: (broker: EmbeddedBroker) => void;
}

export async function prepareRun(plan: RunPlan, hooks: PrepareHooks): Promise<Prepared> {
  const c = plan.config;
  const exporter = await startExporter(c, { runId: plan.runId, scenario: c.scenario, shard: c.shard.index });
  if (exporter?.url !== undefined) hooks.info(`metrics on ${exporter.url}`);
  const work = mkdtempSync(join(tmpdir(), 'herd-run-'));
  // the work dir holds the run's private keys: gone even when the process exits mid-way (Ctrl-C)
  const removeWork = (): void => rmSync(work, { recursive: true, force: true });
  process.once('exit', removeWork);
  let broker: EmbeddedBroker | undefined;
  const release = async (keepExporter: boolean): Promise<void> => {
    if (!keepExporter) await exporter?.close();
    await broker?.close();
    process.removeListener('exit', removeWork);
    removeWork();
  };
  try {
    const { slice } = plan;
    if (c.shard.count > 1)
      hooks.info(
        `shard ${c.shard.index + 1}/${c.shard.count}: devices ${slice.start}..${slice.start + slice.count - 1} of ${slice.total}, ` +
          `at ${slice.count}/${slice.total} of the load (run ${plan.runId})`,
      );
    const creds = await credentials(plan, work, hooks.info, exporter);
    const targets = [...plan.targets];
    let servername = c.tls.servername;
    if (targets.length === 0) {
      broker = await embeddedBroker(plan, creds.caDir!, work);
      hooks.onBroker?.(broker);
      targets.push({ host: broker.host, port: broker.port, transport: 'tls', path: undefined });
      servername ??= 'localhost';
      hooks.info(`embedded broker listening on mqtts://${broker.host}:${broker.port}`);
    }
    return { exporter, creds, broker, targets, servername, release };
  } catch (e) {
    await release(false);
    throw e;
  }
}

async function credentials(
  plan: RunPlan,
  work: string,
  info: (l: string) => void,
  exporter: HerdExporter | undefined,
): Promise<Credentials> {
  const c = plan.config;
  const { slice } = plan;
  if (c.store !== undefined) {
    const store = openStore(c.store);
    const { start, count } = store.meta;
    if (slice.total > count)
      throw new UsageError(
        `${slice.total} devices asked, but ${c.store} holds ${count} (devices ${start}..${start + count - 1})`,
        '--devices',
      );
    // a sharded run's devices are the store's first `total`; this shard runs its slice of them
    const mint = { count: 0, per_second: 0, loaded: c.devices };
    const serverCaPem = plan.serverCaPem ?? store.caCertPem;
    const clients = clientIdentities(plan, store, () => {
      if (c.pkiDir === undefined) return undefined;
      return loadCa(c.pkiDir);
    });
    return { store, storePath: c.store, serverCaPem, caDir: c.pkiDir, mint, deviceStart: start + slice.start, clients };
  }
  let caDir = c.pkiDir;
  if (caDir === undefined) {
    if (plan.targets.length > 0)
      throw new UsageError(
        'a run against a broker needs the CA it trusts for devices: give --pki DIR (ca.crt + ca.key) or --store',
        '--pki',
      );
    caDir = join(work, 'pki');
    await createCa({ out: caDir, cn: 'mqtt-herd run CA' });
  }
  const ca = loadCa(caDir);
  const storePath = join(work, 'devices.store');
  // Shards mint only their slice, and must agree on the seed to get the same bytes.
  let seed = c.seed;
  if (seed === undefined && c.shard.count > 1) {
    seed = defaultShardSeed(ca.cert.raw);
    info(`no --seed: every shard derives the seed from the CA certificate (${seed}); give --seed to choose another`);
  }
  info(`minting ${c.devices} device certificates (${c.key}) from ${caDir}`);
  const threads = Math.max(1, Math.min(c.workers, availableParallelism()));
  const stats = await mintStore({
    caDir,
    ca,
    out: storePath,
    count: slice.count,
    start: slice.start,
    // shares are exact over the whole run's devices, so every shard mints its own part of them
    faultSpan: { first: 0, total: slice.total },
    idTemplate: c.idTemplate,
    uriDomain: c.uriDomain,
    key: c.key,
    threads,
    // faulty devices, deterministically chosen; revoked ones go into <CA dir>/crl.pem
    ...(Object.keys(c.faults).length > 0 ? { faults: c.faults } : {}),
    ...(seed === undefined ? {} : { seed }),
    ...(exporter === undefined ? {} : { onProgress: exporter.mintProgress(threads) }),
  });
  const store = openStore(storePath);
  return {
    store,
    clients: clientIdentities(plan, store, () => ca),
    storePath,
    serverCaPem: plan.serverCaPem ?? ca.certPem,
    caDir,
    mint: { count: stats.count, per_second: stats.perSecond, loaded: 0 },
    deviceStart: slice.start,
  };
}

/**
 * Certificates for the traffic's subscribers and controllers (CN = client id), signed by
 * the CA of the devices with the store's names and seed: the same run mints the same bytes.
 * A store given without its CA's key cannot have them: the error names who needs one.
 */
function clientIdentities(plan: RunPlan, store: DeviceStore, ca: () => LoadedCa | undefined): ClientIdentity[] {
  const slots = clientSlots(plan.config.traffic);
  if (slots.length === 0) return [];
  // every shard would run the same clients (one client id twice on the broker) and count
  // the others' deliveries as its own: refused rather than wrong
  if (plan.config.shard.count > 1)
    throw new UsageError(
      `the traffic's subscribers and controllers (${slots[0]!.id}, ...) do not run in a sharded run yet: ` +
        'run them unsharded, or leave the subscribers and commands streams out of the shards',
      '--shard-count',
    );
  for (const s of slots) {
    const why = badDeviceId(s.id);
    if (why !== undefined) throw new UsageError(`the traffic's client id "${s.id}" ${why}`, 'traffic');
  }
  const loaded = ca();
  if (loaded === undefined) {
    const who = slots.map((s) => s.id);
    const named = who.length > 3 ? `${who.slice(0, 3).join(', ')} and ${who.length - 3} more` : who.join(', ');
    throw new UsageError(
      `${named} need${who.length === 1 ? 's' : ''} a certificate from the CA of the devices in ${store.path}, ` +
        `but the store holds no CA key: give --pki DIR (ca.crt + ca.key of that CA) with --store`,
      '--store',
    );
  }
  if (loaded.certPem.trim() !== store.caCertPem.trim())
    throw new UsageError(
      `${loaded.certPath} is not the CA of the devices in ${store.path}: the traffic's clients need that CA's key`,
      '--pki',
    );
  const m = store.meta;
  return mintClientIdentities(
    loaded,
    { country: m.country, org: m.org, uriDomain: m.uriDomain },
    m.seed,
    slots.map((s) => s.id),
  );
}

/** The embedded broker: mTLS with the run's CA, client id = certificate CN, the CA's CRL when there is one. */
async function embeddedBroker(plan: RunPlan, caDir: string, work: string): Promise<EmbeddedBroker> {
  const c = plan.config;
  const serverDir = join(work, 'server');
  await issueServer({ ca: caDir, out: serverDir, dns: ['localhost'], ip: ['127.0.0.1'], cn: 'localhost' });
  const ca = loadCa(caDir);
  // revoked devices (herd pki mint --faults, or the run's own faults) are in the CA's crl.pem
  const crlFile = join(caDir, 'crl.pem');
  const crlPem = existsSync(crlFile) ? readFileSync(crlFile, 'utf8') : undefined;
  try {
    return await startEmbeddedBroker({
      caPem: ca.certPem,
      certPem: readFileSync(join(serverDir, 'server.crt'), 'utf8'),
      keyPem: readFileSync(join(serverDir, 'server.key'), 'utf8'),
      identity: 'cn',
      crlPem,
      minVersion: c.tls.minVersion,
      maxVersion: c.tls.maxVersion,
    });
  } catch (e) {
    // what it was given came from the CA directory: a CRL it cannot parse is bad input
    throw new InputError(
      { file: crlPem === undefined ? caDir : crlFile },
      `the embedded broker cannot start with it: ${(e as Error).message.replace(/^embedded broker: /, '')}`,
    );
  }
}
