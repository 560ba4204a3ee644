/**
 * Debian's mosquitto, started with our own config on a free loopback port. Tests that
 * use it fail (never skip) when mosquitto is missing: CI installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.js';

export const MOSQUITTO_BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

export interface MosquittoOptions {
  cafile: string;
  certfile: string;
  keyfile: string;
  crlfile?: string;
  requireCertificate?: boolean;
  useIdentityAsUsername?: boolean;
  /** mosquitto's tls_version is a minimum: tlsv1.2 or tlsv1.3 */
  tlsVersion?: string;
  /**
   * set_tcp_nodelay (default true here; mosquitto's own default is false, which with
   * TLS 1.3 holds each CONNACK back ~40 ms behind the session tickets: Nagle meets the
   * client's delayed ACK).
   */
  tcpNoDelay?: boolean;
  extra?: string[];
  port?: number;
}

export interface Mosquitto {
  port: number;
  pid: number;
  proc: ChildProcess;
  log(): string;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export function mosquittoVersion(): string {
  if (!MOSQUITTO_BIN) throw new Error('mosquitto is not installed (CI installs it: apt-get install -y mosquitto)');
  // `mosquitto -h` prints its version and exits non-zero
  const r = spawnSync(MOSQUITTO_BIN, ['-h'], { encoding: 'utf8' });
  return (r.stdout + r.stderr).split('\n')[0] ?? '';
}

export async function startMosquitto(o: MosquittoOptions): Promise<Mosquitto> {
  if (!MOSQUITTO_BIN) throw new Error('mosquitto is not installed (CI installs it: apt-get install -y mosquitto)');
  const dir = mkdtempSync(join(tmpdir(), 'herd-mosq-'));
  const port = o.port ?? (await freePort());
  const logFile = join(dir, 'mosquitto.log');
  const conf = [
    'user root',
    'persistence false',
    `log_dest file ${logFile}`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    `listener ${port} 127.0.0.1`,
    `cafile ${o.cafile}`,
    `certfile ${o.certfile}`,
    `keyfile ${o.keyfile}`,
    `require_certificate ${o.requireCertificate === false ? 'false' : 'true'}`,
    `use_identity_as_username ${o.useIdentityAsUsername === false ? 'false' : 'true'}`,
    o.useIdentityAsUsername === false || o.requireCertificate === false ? 'allow_anonymous true' : '',
    o.crlfile ? `crlfile ${o.crlfile}` : '',
    o.tlsVersion ? `tls_version ${o.tlsVersion}` : '',
    `set_tcp_nodelay ${o.tcpNoDelay === false ? 'false' : 'true'}`,
    ...(o.extra ?? []),
  ].filter(Boolean);
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(confFile, conf.join('\n') + '\n');
  const proc = spawn(MOSQUITTO_BIN, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const log = () => stderr + (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  try {
    await Promise.race([
      waitForPort(port),
      exited.then(() => {
        throw new Error(`mosquitto exited at start-up:\n${log()}`);
      }),
    ]);
  } catch (e) {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    throw e;
  }
  const pid = proc.pid!;
  return {
    port,
    pid,
    proc,
    log,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* already gone */
      }
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Clients mosquitto has logged as connected ("New client connected from …"), from character `from` of its log on. */
export function clientsConnected(m: Mosquitto, from = 0): number {
  return (
    m
      .log()
      .slice(from)
      .match(/^.*New client connected from /gm)?.length ?? 0
  );
}
