/**
 * Where a capacity search runs: one broker for every step (the given target, or an embedded
 * broker started here, whose CPU is measured) and one device store, grown as the rates need
 * more devices.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { createCa, issueServer, loadCa, mintStore, openStore, type DeviceStore } from '../pki/index.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../engine/embedded-broker.js';
import { brokerProcess as brokerProcessOf, findLocalListeners, type BrokerProcess } from '../engine/probe.js';
import { parseTarget, type RunConfig } from '../run/config.js';

export interface Devices {
  storePath: string;
  count: number;
}

export interface SearchEnvironment {
  targets: string[];
  serverCa: string | undefined;
  servername: string | undefined;
  /** the broker's process when it runs on this machine (its CPU is measured), else undefined */
  brokerProcess: BrokerProcess | undefined;
  /** a store with at least `needed` devices (as many as there are, for a user's store) */
  ensure(needed: number): Promise<Devices>;
  target: string;
  /** the CA the devices' certificates come from, when its key is here (the traffic's subscribers need it) */
  caDir: string | undefined;
}

/** The broker (given, or embedded here) and a way to get enough devices for a step. */
export async function searchEnvironment(
  base: RunConfig,
  work: string,
  setBroker: (b: EmbeddedBroker) => void,
  info: (l: string) => void,
): Promise<SearchEnvironment> {
  let targets = base.targets;
  let serverCa = base.serverCa;
  let servername = base.tls.servername;
  let caDir = base.pkiDir;
  const userStore = base.store === undefined ? undefined : openStore(base.store);
  if (targets.length > 0 && caDir === undefined && userStore === undefined) {
    throw new UsageError(
      'a capacity search against a broker needs the CA it trusts for devices: give --pki DIR (ca.crt + ca.key) or --store',
      '--pki',
    );
  }
  let brokerProcess: BrokerProcess | undefined;
  if (targets.length === 0) {
    const e = await searchBroker(base, work, caDir, userStore);
    setBroker(e.broker);
    caDir = e.caDir;
    serverCa = e.serverCa;
    targets = [`mqtts://${e.broker.host}:${e.broker.port}`];
    servername ??= 'localhost';
    brokerProcess = brokerProcessOf(e.broker.pid, 'herd embedded broker', 1);
    info(`embedded broker listening on ${targets[0]} (pid ${e.broker.pid}): measuring its CPU`);
  } else {
    const parsed = targets.map(parseTarget);
    brokerProcess = parsed.every((t) => t !== undefined) ? findLocalListeners(parsed) : undefined;
    if (brokerProcess !== undefined) {
      const b = brokerProcess;
      const which = b.pids.length > 1 ? `pids ${b.pids.join(', ')}` : `pid ${b.pid}`;
      info(
        `the broker on ${targets.join(', ')} is ${b.name} (${which}, ${b.threads} thread${b.threads === 1 ? '' : 's'}): measuring its CPU`,
      );
    }
  }
  if (Object.keys(base.faults).length > 0 && userStore === undefined)
    info(
      "the scenario's certificate faults are not minted for a capacity search: it measures valid devices (herd run checks the rejections)",
    );
  const ensure = deviceSupply(base, caDir, userStore, work, info);
  const target = targets.join(',');
  return { targets, serverCa, servername, brokerProcess, ensure, target, caDir };
}

/**
 * One embedded broker for the whole search; its server certificate from the devices' CA,
 * or from a CA of its own (then trusted for the server).
 */
async function searchBroker(
  base: RunConfig,
  work: string,
  caDir: string | undefined,
  userStore: DeviceStore | undefined,
): Promise<{ broker: EmbeddedBroker; caDir: string | undefined; serverCa: string | undefined }> {
  let serverCa = base.serverCa;
  let serverCaDir = caDir;
  if (serverCaDir === undefined) {
    serverCaDir = join(work, 'pki');
    await createCa({ out: serverCaDir, cn: 'mqtt-herd capacity CA' });
    if (userStore === undefined) caDir = serverCaDir;
    else serverCa ??= join(serverCaDir, 'ca.crt');
  }
  const serverDir = join(work, 'server');
  await issueServer({ ca: serverCaDir, out: serverDir, dns: ['localhost'], ip: ['127.0.0.1'], cn: 'localhost' });
  const crlFile = caDir === undefined ? undefined : join(caDir, 'crl.pem');
  const broker = await startEmbeddedBroker({
    caPem: userStore?.caCertPem ?? loadCa(caDir!).certPem,
    certPem: readFileSync(join(serverDir, 'server.crt'), 'utf8'),
    keyPem: readFileSync(join(serverDir, 'server.key'), 'utf8'),
    identity: 'cn',
    // a store minted with faults: its revoked devices are in the CA's crl.pem
    crlPem:
      userStore !== undefined && crlFile !== undefined && existsSync(crlFile)
        ? readFileSync(crlFile, 'utf8')
        : undefined,
    minVersion: base.tls.minVersion,
    maxVersion: base.tls.maxVersion,
  });
  return { broker, caDir, serverCa };
}

/**
 * Devices for the steps: the user's store as it is, or a store minted here and grown ahead
 * of the ramp (the next step usually doubles). No faulty devices: a search measures the
 * connect path of valid ones (herd run checks the rejections).
 */
function deviceSupply(
  base: RunConfig,
  caDir: string | undefined,
  userStore: DeviceStore | undefined,
  work: string,
  info: (l: string) => void,
): (needed: number) => Promise<Devices> {
  const seed = base.seed ?? randomBytes(8).toString('hex');
  let devices: Devices | undefined =
    userStore === undefined ? undefined : { storePath: base.store!, count: userStore.meta.count };
  userStore?.close();
  let warned = false;
  return async (needed) => {
    if (base.store !== undefined) {
      if (needed > devices!.count && !warned) {
        warned = true;
        info(
          `warning: ${base.store} holds ${devices!.count} devices; steps that need more are cut short (mint more for steps of full length)`,
        );
      }
      return devices!;
    }
    if (devices !== undefined && devices.count >= needed) return devices;
    const count = Math.ceil((needed * 2) / 1000) * 1000;
    const storePath = join(work, `devices-${count}.store`);
    const t = performance.now();
    await mintStore({
      caDir: caDir!,
      out: storePath,
      count,
      idTemplate: base.idTemplate,
      uriDomain: base.uriDomain,
      key: base.key,
      seed,
      threads: Math.max(1, base.workers),
    });
    info(`minted ${count} device certificates (${base.key}) in ${((performance.now() - t) / 1000).toFixed(1)}s`);
    if (devices !== undefined && devices.storePath !== storePath) rmSync(devices.storePath, { force: true });
    devices = { storePath, count };
    return devices;
  };
}
