/**
 * The embedded mTLS broker: aedes behind a Node TLS server that requires a client
 * certificate signed by the run's CA (optionally checked against a CRL) and, by default,
 * a client id equal to the certificate's CN (refused with CONNACK 5 / MQTT 5 0x87).
 * MQTT 3.1.1 clients talk to aedes directly; MQTT 5 clients through V5Bridge.
 *
 * Node's TLS server verifies the client certificate after the handshake and rejects it by
 * closing the connection: it sends an alert only for a missing certificate
 * (certificate_required in TLS 1.3, handshake_failure in 1.2), never unknown_ca,
 * certificate_expired or certificate_revoked as OpenSSL-based brokers (mosquitto) do.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { V5Bridge, sniffProtocolLevel } from './v5-bridge.js';
import { identityMatches, peerIdentity, type IdentityMode, type PeerIdentity } from './identity.js';

export interface BrokerOptions {
  caPem: string | Buffer;
  certPem: string | Buffer;
  keyPem: string | Buffer;
  crlPem?: string | Buffer | undefined;
  /** default 127.0.0.1 */
  host?: string | undefined;
  /** default 0: an ephemeral port */
  port?: number | undefined;
  /** default 'cn' */
  identity?: IdentityMode | undefined;
  /** for identity 'spiffe'; default herd.local */
  uriDomain?: string | undefined;
  minVersion?: tls.SecureVersion | undefined;
  maxVersion?: tls.SecureVersion | undefined;
  /** refuse a subscription (SUBACK 0x80) when this returns false; default: allow all */
  allowSubscribe?: ((clientId: string, topic: string) => boolean) | undefined;
  /** TLS handshake and wait for CONNECT, each; default 10 s */
  handshakeTimeoutMs?: number | undefined;
  connectTimeoutMs?: number | undefined;
}

export interface BrokerStats {
  /** TCP connections accepted */
  accepted: number;
  /** TLS handshakes completed with an authorized certificate */
  handshakes: number;
  /** handshakes that failed, by Node's error code (the unauthorized are closed silently and counted as `rejectedCertificates`) */
  tlsErrors: Record<string, number>;
  /** TCP connections that closed without a completed, authorized handshake or a TLS error */
  rejectedCertificates: number;
  connacksAccepted: number;
  connacksRefused: number;
  identityRejected: number;
  subscriptionsRefused: number;
  /** MQTT sessions currently connected */
  connected: number;
  pings: number;
  clientErrors: number;
  restarts: number;
}

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  stats(): BrokerStats;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
  /** close(), wait `downMs`, listen again on the same port (a reconnect storm). */
  restart(downMs?: number): Promise<void>;
}

const kIdentity = Symbol('herd.identity');
type WithIdentity = { [kIdentity]?: PeerIdentity };

class EmbeddedBroker implements RunningBroker {
  host: string;
  port: number;
  private aedes: Aedes | undefined;
  private server: tls.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly s: BrokerStats = {
    accepted: 0,
    handshakes: 0,
    tlsErrors: {},
    rejectedCertificates: 0,
    connacksAccepted: 0,
    connacksRefused: 0,
    identityRejected: 0,
    subscriptionsRefused: 0,
    connected: 0,
    pings: 0,
    clientErrors: 0,
    restarts: 0,
  };

  constructor(private readonly o: BrokerOptions) {
    this.host = o.host ?? '127.0.0.1';
    this.port = o.port ?? 0;
  }

  async start(): Promise<void> {
    const o = this.o;
    const mode = o.identity ?? 'cn';
    const aedes = await Aedes.createBroker({
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      heartbeatInterval: 3_600_000,
      maxClientsIdLength: 65_535,
      authenticate: (client: Client, _u, _p, done) => {
        const id = (client.conn as WithIdentity)[kIdentity];
        if (identityMatches(mode, id, client.id, o.uriDomain)) return done(null, true);
        this.s.identityRejected++;
        const err = Object.assign(new Error('client id does not match the certificate'), { returnCode: 5 });
        done(err, false);
      },
      authorizeSubscribe: (client, sub, done) => {
        const allow = o.allowSubscribe;
        if (allow !== undefined && !allow(client.id, sub.topic)) {
          this.s.subscriptionsRefused++;
          return done(null, null);
        }
        done(null, sub);
      },
    });
    aedes.on('connackSent', (p) => {
      if (p.returnCode === 0) this.s.connacksAccepted++;
      else this.s.connacksRefused++;
    });
    aedes.on('clientReady', () => this.s.connected++);
    aedes.on('clientDisconnect', () => this.s.connected--);
    aedes.on('ping', () => this.s.pings++);
    aedes.on('clientError', () => this.s.clientErrors++);
    aedes.on('connectionError', () => this.s.clientErrors++);
    this.aedes = aedes;

    const server = tls.createServer({
      key: o.keyPem,
      cert: o.certPem,
      ca: o.caPem,
      crl: o.crlPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: o.minVersion,
      maxVersion: o.maxVersion,
      handshakeTimeout: o.handshakeTimeoutMs ?? 10_000,
    });
    server.on('connection', (raw: net.Socket) => {
      this.s.accepted++;
      // small MQTT writes after the TLS 1.3 tickets would otherwise wait for a delayed ACK (40 ms)
      raw.setNoDelay(true);
      this.sockets.add(raw);
      raw.once('close', () => {
        this.sockets.delete(raw);
        if (linkable && !settled.has(raw)) this.s.rejectedCertificates++;
      });
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, s: tls.TLSSocket) => {
      const code = err.code ?? 'UNKNOWN';
      this.s.tlsErrors[code] = (this.s.tlsErrors[code] ?? 0) + 1;
      markSettled(s);
      // with a tlsClientError listener Node leaves the socket to us (a handshake timeout would stay open)
      s.destroy();
    });
    server.on('secureConnection', (s: tls.TLSSocket) => {
      this.s.handshakes++;
      markSettled(s);
      s.on('error', () => {}); // aedes adds its own; this covers the sniffing window
      if (mode !== 'none') (s as tls.TLSSocket & WithIdentity)[kIdentity] = peerIdentity(s);
      this.sniff(s, aedes);
    });
    server.on('error', () => this.s.clientErrors++); // e.g. EMFILE on accept: keep serving
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** Waits for the CONNECT's protocol level: 5 goes through the bridge, the rest to aedes. */
  private sniff(s: tls.TLSSocket, aedes: Aedes): void {
    let buf: Buffer | null = null;
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = s.read() as Buffer | null) !== null) buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      if (buf === null) return;
      const level = sniffProtocolLevel(buf);
      if (level === -1 && buf.length < 64) return;
      s.off('readable', onReadable);
      s.off('close', onClose);
      clearTimeout(timer);
      s.unshift(buf);
      if (level === 5) {
        const bridge = new V5Bridge(s);
        (bridge as V5Bridge & WithIdentity)[kIdentity] = (s as tls.TLSSocket & WithIdentity)[kIdentity];
        aedes.handle(bridge);
      } else {
        aedes.handle(s);
      }
    };
    const onClose = (): void => clearTimeout(timer);
    const timer = setTimeout(() => s.destroy(), this.o.connectTimeoutMs ?? 10_000);
    timer.unref();
    s.once('close', onClose);
    s.on('readable', onReadable);
  }

  stats(): BrokerStats {
    return { ...this.s, tlsErrors: { ...this.s.tlsErrors } };
  }

  async close(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    await closed;
    this.s.connected = 0;
  }

  async restart(downMs = 0): Promise<void> {
    await this.close();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    this.s.restarts++;
    await this.start();
  }
}

/** Accepted TCP sockets whose TLS handshake ended (authorized, or with a TLS error). */
const settled = new WeakSet<net.Socket>();
let linkable = true;

function markSettled(s: tls.TLSSocket): void {
  // Node links a server TLSSocket to the accepted TCP socket it wraps only through the
  // undocumented `_parent`; without it the silent rejections are not counted.
  const raw = (s as tls.TLSSocket & { _parent?: unknown })._parent;
  if (raw instanceof net.Socket) settled.add(raw);
  else linkable = false;
}

export async function startBroker(o: BrokerOptions): Promise<RunningBroker> {
  const b = new EmbeddedBroker(o);
  await b.start();
  return b;
}
