/**
 * The embedded mTLS broker: aedes behind a Node TLS server that requires a client
 * certificate signed by the run's CA (optionally checked against a CRL) and, by default,
 * a client id equal to the certificate's CN (refused with CONNACK 5 / MQTT 5 0x87).
 * MQTT 3.1.1 clients talk to aedes directly; MQTT 5 clients through V5Bridge.
 * As asked it also listens for plain MQTT over TCP, MQTT over WebSocket with the same
 * mTLS (wss://) and without TLS (ws://) (listeners.ts); the plain ones check no identity.
 * It records the server name (SNI) and the ALPN protocol of every TLS handshake, and can
 * require ALPN: a client offering other protocols gets the no_application_protocol alert,
 * one offering none is closed (OpenSSL asks a server to choose only when the client offers).
 *
 * Node's TLS server verifies the client certificate after the handshake and rejects it by
 * closing the connection: it sends an alert only for a missing certificate
 * (certificate_required in TLS 1.3, handshake_failure in 1.2), never unknown_ca,
 * certificate_expired or certificate_revoked as OpenSSL-based brokers (mosquitto) do.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { V5Bridge, sniffProtocolLevel } from './v5-bridge.js';
import { identityMatches, peerIdentity, type IdentityMode, type PeerIdentity } from './identity.js';
import { attachWebSocket, tcpServer, tlsServerOptions } from './listeners.js';
import { parseShare, SharedSubscriptions } from './shared-subs.js';

export interface BrokerOptions {
  caPem: string | Buffer;
  certPem: string | Buffer;
  keyPem: string | Buffer;
  crlPem?: string | Buffer | undefined;
  /** default 127.0.0.1 */
  host?: string | undefined;
  /** the mTLS listener (mqtts://); default 0: an ephemeral port */
  port?: number | undefined;
  /** plain MQTT over TCP (mqtt://) on this port (0: ephemeral); undefined: none */
  tcpPort?: number | undefined;
  /** MQTT over WebSocket with mTLS (wss://) on this port (0: ephemeral); undefined: none */
  wsPort?: number | undefined;
  /** MQTT over WebSocket without TLS (ws://) on this port (0: ephemeral); undefined: none */
  wsPlainPort?: number | undefined;
  /** the WebSocket path; default /mqtt (another path is answered 404) */
  wsPath?: string | undefined;
  /** ALPN protocols the TLS and WSS listeners select from (in their order of preference) */
  alpnProtocols?: string[] | undefined;
  /** with alpnProtocols: close a client that offered no ALPN at all */
  requireAlpn?: boolean | undefined;
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
  /** TLS handshakes completed (mqtts:// and wss://) by the server name the client sent ('' for none) */
  servernames: Record<string, number>;
  /** ... by the ALPN protocol selected ('' for none) */
  alpn: Record<string, number>;
  /** clients closed for offering no ALPN while it is required */
  alpnMissing: number;
  /** MQTT streams opened, by listener */
  streams: { tcp: number; tls: number; ws: number; wss: number };
  /** WebSocket upgrades refused, by HTTP status */
  wsRejected: Record<string, number>;
}

export interface RunningBroker {
  readonly host: string;
  /** the mTLS listener's port */
  readonly port: number;
  /** the other listeners' ports; undefined when not asked for */
  readonly tcpPort: number | undefined;
  readonly wsPort: number | undefined;
  readonly wsPlainPort: number | undefined;
  stats(): BrokerStats;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
  /** close(), wait `downMs`, listen again on the same port (a reconnect storm). */
  restart(downMs?: number): Promise<void>;
}

const kIdentity = Symbol('herd.identity');
const kPlain = Symbol('herd.plain');
type WithIdentity = { [kIdentity]?: PeerIdentity; [kPlain]?: boolean };
type Listener = 'tcp' | 'tls' | 'ws' | 'wss';

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

class EmbeddedBroker implements RunningBroker {
  host: string;
  port: number;
  tcpPort: number | undefined;
  wsPort: number | undefined;
  wsPlainPort: number | undefined;
  private aedes: Aedes | undefined;
  private servers: net.Server[] = [];
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
    servernames: {},
    alpn: {},
    alpnMissing: 0,
    streams: { tcp: 0, tls: 0, ws: 0, wss: 0 },
    wsRejected: {},
  };

  private readonly shares = new SharedSubscriptions();

  constructor(private readonly o: BrokerOptions) {
    this.host = o.host ?? '127.0.0.1';
    this.port = o.port ?? 0;
    this.tcpPort = o.tcpPort;
    this.wsPort = o.wsPort;
    this.wsPlainPort = o.wsPlainPort;
  }

  async start(): Promise<void> {
    const o = this.o;
    const mode = o.identity ?? 'cn';
    const aedes = await Aedes.createBroker({
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      heartbeatInterval: 3_600_000,
      maxClientsIdLength: 65_535,
      authenticate: (client: Client, _u, _p, done) => {
        const conn = client.conn as WithIdentity;
        if (conn[kPlain] === true || identityMatches(mode, conn[kIdentity], client.id, o.uriDomain))
          return done(null, true);
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
        // a shared subscription reaches aedes as its inner filter; forwarding picks one member per message
        const share = parseShare(sub.topic);
        if (share === null) return done(null, sub);
        this.shares.join(client.id, share);
        done(null, { ...sub, topic: share.filter });
      },
      authorizeForward: (client, packet) =>
        this.shares.forwards(client.id, packet.topic, (packet as { brokerCounter?: number }).brokerCounter ?? 0)
          ? packet
          : null,
    });
    aedes.on('connackSent', (p) => {
      if (p.returnCode === 0) this.s.connacksAccepted++;
      else this.s.connacksRefused++;
    });
    aedes.on('clientReady', () => this.s.connected++);
    aedes.on('clientDisconnect', (client) => {
      this.s.connected--;
      this.shares.leave(client.id);
    });
    aedes.on('ping', () => this.s.pings++);
    aedes.on('clientError', () => this.s.clientErrors++);
    aedes.on('connectionError', () => this.s.clientErrors++);
    this.aedes = aedes;

    const tlsOpts = tlsServerOptions(o);
    const server = tls.createServer(tlsOpts);
    this.track(server);
    this.secured(server, 'tls', (s) => this.sniff(s, aedes, 'tls'));
    const [tls0, tcp, ws, wsPlain] = await Promise.all([
      this.listen(server, this.port),
      o.tcpPort === undefined ? undefined : this.listenTcp(aedes),
      o.wsPort === undefined ? undefined : this.listenWs(aedes, tlsOpts),
      o.wsPlainPort === undefined ? undefined : this.listenWs(aedes, undefined),
    ]);
    this.port = tls0;
    this.tcpPort = tcp;
    this.wsPort = ws;
    this.wsPlainPort = wsPlain;
  }

  private listenTcp(aedes: Aedes): Promise<number> {
    const tcp = tcpServer((raw) => {
      (raw as net.Socket & WithIdentity)[kPlain] = true;
      raw.on('error', () => {});
      this.sniff(raw, aedes, 'tcp');
    });
    this.track(tcp);
    return this.listen(tcp, this.tcpPort ?? 0);
  }

  /** A WebSocket listener: wss:// with the TLS listener's options (mTLS), ws:// without. */
  private listenWs(aedes: Aedes, tlsOpts: tls.TlsOptions | undefined): Promise<number> {
    const mode = this.o.identity ?? 'cn';
    const web = tlsOpts === undefined ? http.createServer() : https.createServer(tlsOpts);
    this.track(web);
    if (web instanceof https.Server) this.secured(web, 'wss', () => {});
    attachWebSocket(
      web,
      this.o.wsPath ?? '/mqtt',
      (stream, socket) => {
        const s = stream as Duplex & WithIdentity;
        if (tlsOpts === undefined) s[kPlain] = true;
        else if (mode !== 'none') s[kIdentity] = peerIdentity(socket as tls.TLSSocket);
        this.sniff(stream, aedes, tlsOpts === undefined ? 'ws' : 'wss');
      },
      (status) => bump(this.s.wsRejected, String(status)),
    );
    return this.listen(web, (tlsOpts === undefined ? this.wsPlainPort : this.wsPort) ?? 0);
  }

  /** Counts and tracks the TCP connections a listener accepts (close() drops them). */
  private track(server: net.Server): void {
    this.servers.push(server);
    server.on('connection', (raw: net.Socket) => {
      this.s.accepted++;
      // small MQTT writes after the TLS 1.3 tickets would otherwise wait for a delayed ACK (40 ms)
      raw.setNoDelay(true);
      this.sockets.add(raw);
      const secure = server instanceof tls.Server;
      raw.once('close', () => {
        this.sockets.delete(raw);
        if (secure && linkable && !settled.has(raw)) this.s.rejectedCertificates++;
      });
    });
    server.on('error', () => this.s.clientErrors++); // e.g. EMFILE on accept: keep serving
  }

  /** A TLS listener's handshakes: errors counted, SNI and ALPN recorded, ALPN required if asked. */
  private secured(server: tls.Server, kind: Listener, onSecure: (s: tls.TLSSocket) => void): void {
    const o = this.o;
    const mode = o.identity ?? 'cn';
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
      const sni = (s as tls.TLSSocket & { servername?: string | false }).servername;
      bump(this.s.servernames, typeof sni === 'string' ? sni : '');
      const alpn = s.alpnProtocol;
      bump(this.s.alpn, typeof alpn === 'string' ? alpn : '');
      s.on('error', () => {}); // aedes adds its own; this covers the sniffing window
      if (o.requireAlpn === true && o.alpnProtocols !== undefined && typeof alpn !== 'string') {
        this.s.alpnMissing++;
        s.destroy();
        return;
      }
      if (kind === 'tls' && mode !== 'none') (s as tls.TLSSocket & WithIdentity)[kIdentity] = peerIdentity(s);
      onSecure(s);
    });
  }

  private listen(server: net.Server, port: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Waits for the CONNECT's protocol level: 5 goes through the bridge, the rest to aedes. */
  private sniff(s: Duplex, aedes: Aedes, kind: Listener): void {
    this.s.streams[kind]++;
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
        (bridge as V5Bridge & WithIdentity)[kIdentity] = (s as Duplex & WithIdentity)[kIdentity];
        (bridge as V5Bridge & WithIdentity)[kPlain] = (s as Duplex & WithIdentity)[kPlain];
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
    return {
      ...this.s,
      tlsErrors: { ...this.s.tlsErrors },
      servernames: { ...this.s.servernames },
      alpn: { ...this.s.alpn },
      streams: { ...this.s.streams },
      wsRejected: { ...this.s.wsRejected },
    };
  }

  async close(): Promise<void> {
    const servers = this.servers;
    const aedes = this.aedes;
    this.servers = [];
    this.aedes = undefined;
    const closed = Promise.all(servers.map((server) => new Promise<void>((r) => server.close(() => r()))));
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
