/**
 * `herd broker [--port P] [--tcp-port P] [--ws-port P] [--pki DIR]`: the embedded mTLS
 * broker, standalone, until SIGINT/SIGTERM; plain TCP and WebSocket listeners as asked. Reads DIR/ca.crt, DIR/server.crt, DIR/server.key and, when present,
 * DIR/crl.pem (written by `herd pki mint --faults` and `herd pki crl`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { ExitCode, InputError, UsageError } from '../errors.js';
import { checkIsCa, checkKeyMatches, readCertificatePem, readInput, readPrivateKeyPem } from '../pki/index.js';
import { startBroker, type BrokerOptions } from '../broker/broker.js';
import { bool, nonNegativeInt, parse, str, type Parsed } from './args.js';
import { alpnProblem } from '../mqtt/index.js';

const HELP = `Usage: herd broker [--port P] [--tcp-port P] [--ws-port P] [--ws-plain-port P] [--pki DIR] [--host H]
                   [--identity cn|spiffe|none] [--uri-domain D] [--alpn P,...] [--require-alpn]

The embedded MQTT broker (aedes; MQTT 3.1.1 and 5) behind TLS that requires a client
certificate signed by DIR/ca.crt. Runs until Ctrl-C.

  --port P          the mTLS listener (mqtts://) (default 0: any free port, printed)
  --tcp-port P      also plain MQTT over TCP (mqtt://) on P (0: any free port); no certificate, any client id
  --ws-port P       also MQTT over WebSocket with the same mTLS (wss://) on P (0: any free port)
  --ws-plain-port P also MQTT over WebSocket without TLS (ws://) on P; no certificate, any client id
  --ws-path PATH    the WebSocket path (default /mqtt; another path is answered 404)
  --alpn P[,P...]   ALPN protocols the TLS listeners select from; a client offering only others gets the
                    no_application_protocol alert (AWS IoT Core on 443: x-amzn-mqtt-ca)
  --require-alpn    with --alpn: also close clients that offer no ALPN at all
  --pki DIR         directory with ca.crt, server.crt, server.key and optionally crl.pem (default pki)
  --host H          address to listen on (default 127.0.0.1)
  --identity MODE   cn: the client id must equal the certificate CN (default);
                    spiffe: the URI SAN must be spiffe://<domain>/device/<client id>; none
  --uri-domain D    the domain for --identity spiffe (default herd.local)
`;

const OPTIONS = {
  port: { type: 'string' },
  pki: { type: 'string' },
  host: { type: 'string' },
  identity: { type: 'string' },
  'uri-domain': { type: 'string' },
  'tcp-port': { type: 'string' },
  'ws-port': { type: 'string' },
  'ws-plain-port': { type: 'string' },
  'ws-path': { type: 'string' },
  alpn: { type: 'string' },
  'require-alpn': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A file of the PKI directory that must be there, with the command that makes it when it is not. */
function present(dir: string, name: string, hint: string): string {
  const file = join(dir, name);
  if (!existsSync(file)) throw new InputError({ file }, `missing (${hint})`);
  return file;
}

/** Reads a PEM file of the directory: what is wrong with its content is "not a usable PEM file". */
function usable<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof InputError) || /: missing \(/.test(e.message)) throw e;
    const why = e.message.slice(e.position.file.length + 2);
    throw new InputError(e.position, `not a usable PEM file: ${why}`, { cause: e });
  }
}

/** The CRL next to the CA, when there is one: PEM, and loadable against the CA. */
function readCrl(file: string, caPem: string): string {
  const text = readInput(file).toString('utf8');
  if (!text.includes('-----BEGIN X509 CRL-----'))
    throw new InputError({ file }, 'not a usable PEM file: no X509 CRL in it');
  try {
    tls.createSecureContext({ ca: caPem, crl: text });
  } catch (e) {
    throw new InputError({ file }, `not a usable PEM file: ${(e as Error).message}`, { cause: e });
  }
  return text;
}

/** Parses the flags and reads the PKI files: every user mistake is an exit-2 error here. */
function brokerOptions(argv: string[]): BrokerOptions | null {
  const p = parse(argv, OPTIONS);
  if (bool(p, 'help')) return null;
  const port = portOf(p, 'port') ?? 0;
  const identity = str(p, 'identity') ?? 'cn';
  if (identity !== 'cn' && identity !== 'spiffe' && identity !== 'none') {
    throw new UsageError(`expected cn, spiffe or none, got "${identity}"`, '--identity');
  }
  const dir = str(p, 'pki') ?? 'pki';
  const make = `create it with: herd pki ca --out ${dir} && herd pki server --ca ${dir} --out ${dir}`;
  const crlFile = join(dir, 'crl.pem');
  const ca = usable(() => readCertificatePem(present(dir, 'ca.crt', make), 'the CA that signs the devices'));
  checkIsCa(ca);
  const cert = usable(() => readCertificatePem(present(dir, 'server.crt', make), "the broker's certificate"));
  const key = usable(() => readPrivateKeyPem(present(dir, 'server.key', make), "the broker's private key"));
  checkKeyMatches(cert, key, 'server.crt');
  const caPem = ca.pem;
  const certPem = cert.pem;
  const keyPem = key.pem;
  const crlPem = existsSync(crlFile) ? readCrl(crlFile, caPem) : undefined;
  return {
    caPem,
    certPem,
    keyPem,
    crlPem,
    host: str(p, 'host') ?? '127.0.0.1',
    port,
    identity,
    uriDomain: str(p, 'uri-domain') ?? 'herd.local',
    ...listenersOf(p),
  };
}

function portOf(p: Parsed, name: string): number | undefined {
  const port = nonNegativeInt(p, name, undefined);
  if (port !== undefined && port > 65_535) throw new UsageError(`expected a port 0–65535, got ${port}`, `--${name}`);
  return port;
}

/** The other listeners and the ALPN the TLS ones select from. */
function listenersOf(p: Parsed): Partial<BrokerOptions> {
  const wsPath = str(p, 'ws-path');
  if (wsPath !== undefined && !/^\/[^\s?#]*$/.test(wsPath))
    throw new UsageError(`expected a path like /mqtt, got "${wsPath}"`, '--ws-path');
  const alpnText = str(p, 'alpn');
  const alpn = alpnText?.split(',').map((s) => s.trim());
  const bad = alpn === undefined ? undefined : alpnProblem(alpn);
  if (bad) throw new UsageError(bad, '--alpn');
  const requireAlpn = bool(p, 'require-alpn');
  if (requireAlpn && alpn === undefined)
    throw new UsageError('goes with --alpn (the protocols to require)', '--require-alpn');
  return {
    tcpPort: portOf(p, 'tcp-port'),
    wsPort: portOf(p, 'ws-port'),
    wsPlainPort: portOf(p, 'ws-plain-port'),
    wsPath,
    alpnProtocols: alpn,
    requireAlpn,
  };
}

export async function brokerCommand(argv: string[]): Promise<number> {
  const o = brokerOptions(argv);
  if (o === null) {
    process.stdout.write(HELP);
    return ExitCode.ok;
  }
  let broker;
  try {
    broker = await startBroker(o);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      const at = (err as NodeJS.ErrnoException & { port?: number }).port ?? o.port;
      const flag =
        at === o.tcpPort
          ? '--tcp-port'
          : at === o.wsPort
            ? '--ws-port'
            : at === o.wsPlainPort
              ? '--ws-plain-port'
              : '--port';
      throw new UsageError(`cannot listen on ${o.host}:${at}: ${err.code}`, flag);
    }
    throw e;
  }
  const check =
    o.identity === 'none'
      ? 'any client id'
      : o.identity === 'spiffe'
        ? `client id from spiffe://${o.uriDomain}/device/<id>`
        : 'client id = certificate CN';
  const host = broker.host.includes(':') ? `[${broker.host}]` : broker.host;
  const alpn = o.alpnProtocols ? `; ALPN ${o.alpnProtocols.join(',')}${o.requireAlpn ? ' required' : ''}` : '';
  process.stdout.write(
    `herd broker listening on mqtts://${host}:${broker.port} (client certificate required; ${check}${o.crlPem ? '; CRL loaded' : ''}${alpn})\n`,
  );
  const path = o.wsPath ?? '/mqtt';
  if (broker.tcpPort !== undefined)
    process.stdout.write(`herd broker listening on mqtt://${host}:${broker.tcpPort} (plain TCP, any client)\n`);
  if (broker.wsPort !== undefined)
    process.stdout.write(
      `herd broker listening on wss://${host}:${broker.wsPort}${path} (WebSocket, client certificate required)\n`,
    );
  if (broker.wsPlainPort !== undefined)
    process.stdout.write(
      `herd broker listening on ws://${host}:${broker.wsPlainPort}${path} (WebSocket, any client)\n`,
    );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const s = broker.stats();
  await broker.close();
  const seen = (m: Record<string, number>): string =>
    Object.entries(m)
      .map(([k, n]) => `${k === '' ? '(none)' : k} ${n}`)
      .join(', ') || '-';
  process.stderr.write(
    `herd broker: stopped after ${s.connacksAccepted} accepted connections, ${s.connacksRefused} refused, ${s.rejectedCertificates} certificates rejected\n` +
      `herd broker: TLS handshakes by server name: ${seen(s.servernames)}; by ALPN protocol: ${seen(s.alpn)}\n`,
  );
  return ExitCode.ok;
}
