/**
 * A broker that misbehaves on purpose: a real mTLS server (node:tls, the run's CA, client
 * certificates required) that reads CONNECT and then does what its mode says — closes,
 * answers garbage, an HTTP response, the wrong packet, a malformed CONNACK, nothing at
 * all, or accepts and drops the session later (FIN, RST, DISCONNECT, a TLS alert, no
 * PINGRESP). Port 0 on loopback; the mode can change between tests; it counts what it saw.
 *
 * Each connection is a server TLSSocket over a small duplex around the accepted TCP socket,
 * so the broker can reset the TCP connection under TLS or feed its own TLS engine a bad
 * record (which makes OpenSSL send the client a real alert, bad_record_mac). The
 * client certificate is checked against the CA after the handshake, and a bad one is
 * closed without an alert, as Node's TLS server does.
 */
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { setImmediate, setTimeout, clearTimeout } from 'node:timers';

export type BadMode =
  /** CONNACK 0, then close (close_notify and FIN) */
  | 'connack-then-close'
  /** read CONNECT, close without a CONNACK (after the TLS 1.3 session tickets went out) */
  | 'close-after-connect'
  /** bytes that are not MQTT */
  | 'garbage'
  /** an HTTP 400 response, then close */
  | 'http'
  /** a PUBLISH before (instead of) the CONNACK */
  | 'publish-first'
  /** a PINGRESP instead of the CONNACK */
  | 'pingresp-first'
  /** `first` (any bytes) instead of the CONNACK */
  | 'raw-first'
  /** a CONNACK with one fault (`malformed`) */
  | 'malformed-connack'
  /** read CONNECT, say nothing */
  | 'never-connack'
  /** CONNACK 0, then end the session (`drop`) `dropAfterMs` later or on drop() */
  | 'drop-during-hold'
  /** CONNACK 5 (3.1.1) / 0x87 (5): not authorized */
  | 'refuse-all';

export type MalformedConnack =
  /** 3.1.1: remaining length 3; 5: remaining length 1 */
  | 'length'
  /** fixed header 0x21 */
  | 'flags'
  /** acknowledge flags 0x02 */
  | 'reserved'
  /** session present in answer to a clean start */
  | 'session-present'
  /** 3.1.1: return code 6; 5: 0x8b (a DISCONNECT code, not a CONNACK one) */
  | 'code'
  /** 5: property 0x7e (3.1.1: the same as `length`) */
  | 'properties';

/** How drop-during-hold ends a session ('malformed': a PUBLISH with QoS 3, then nothing). */
export type DropHow = 'fin' | 'rst' | 'disconnect' | 'alert' | 'no-pingresp' | 'malformed';

/** How a SUBSCRIBE is answered: well, or with one fault. */
export type SubackAnswer = 'ok' | 'packet-id' | 'code' | 'refuse';

export interface BadBehaviour {
  mode: BadMode;
  malformed?: MalformedConnack;
  /** raw-first: the bytes sent instead of the CONNACK */
  first?: Buffer;
  drop?: DropHow;
  /** drop-during-hold: ms after CONNACK; undefined: only on drop() */
  dropAfterMs?: number;
  /** drop: 'disconnect': the MQTT 5 reason code (default 0x8b server shutting down) */
  disconnectCode?: number;
  /** close-after-connect: close with RST instead of close_notify + FIN */
  reset?: boolean;
  suback?: SubackAnswer;
}

export interface BadBrokerPki {
  cafile: string;
  certfile: string;
  keyfile: string;
}

export interface BadBrokerStats {
  /** TCP connections accepted */
  connections: number;
  /** handshakes with a certificate from the CA */
  handshakes: number;
  /** certificates not from the CA, closed without an alert */
  rejectedCertificates: number;
  connects: number;
  connacks: number;
  subscribes: number;
  pings: number;
  /** sessions the broker ended (drop-during-hold, connack-then-close) */
  drops: number;
}

export interface BadBroker {
  readonly port: number;
  /** what the broker does from the next CONNECT on */
  behaviour: BadBehaviour;
  readonly stats: BadBrokerStats;
  /** drop-during-hold: ends every session held now; returns how many */
  drop(): number;
  /** sessions open now (after CONNACK) */
  readonly held: number;
  resetStats(): void;
  close(): Promise<void>;
}

const HTTP_400 = Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
const GARBAGE = Buffer.from('de ad be ef 00 01 02 03 fe ff 13 37 c0 ff ee 42 42'.replace(/ /g, ''), 'hex');
/** PUBLISH QoS 0, topic "hello", payload "world" */
const PUBLISH = Buffer.from([0x30, 0x0c, 0x00, 0x05, ...Buffer.from('helloworld')]);
const PINGRESP = Buffer.from([0xd0, 0x00]);

function connack(v5: boolean, code: number, ackFlags = 0, header = 0x20): Buffer {
  return v5 ? Buffer.from([header, 0x03, ackFlags, code, 0x00]) : Buffer.from([header, 0x02, ackFlags, code]);
}

function malformedConnack(v: MalformedConnack, v5: boolean): Buffer {
  switch (v) {
    case 'length':
      return v5 ? Buffer.from([0x20, 0x01, 0x00]) : Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]);
    case 'flags':
      return connack(v5, 0, 0, 0x21);
    case 'reserved':
      return connack(v5, 0, 0x02);
    case 'session-present':
      return connack(v5, 0, 0x01);
    case 'code':
      return connack(v5, v5 ? 0x8b : 0x06);
    case 'properties':
      return v5 ? Buffer.from([0x20, 0x05, 0x00, 0x00, 0x02, 0x7e, 0x00]) : malformedConnack('length', false);
  }
}

function suback(answer: SubackAnswer, id: number, v5: boolean): Buffer {
  const pid = answer === 'packet-id' ? id + 1 : id;
  const code = answer === 'code' ? 0x03 : answer === 'refuse' ? 0x80 : 0x00;
  const head = [0x90, v5 ? 4 : 3, pid >> 8, pid & 0xff];
  return Buffer.from(v5 ? [...head, 0x00, code] : [...head, code]);
}

/** One client connection: its TCP socket, the duplex TLS runs over, the TLS socket. */
class Conn {
  buf: Buffer = Buffer.alloc(0);
  v5 = false;
  held = false;
  dropTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly raw: net.Socket,
    readonly wire: Duplex,
    readonly tls: tls.TLSSocket,
  ) {}

  /** Complete packets received so far, as [first byte, body]. */
  *packets(): Generator<[number, Buffer]> {
    for (;;) {
      let rl = 0;
      let mul = 1;
      let i = 1;
      for (; i < 5 && i < this.buf.length; i++) {
        rl += (this.buf[i]! & 0x7f) * mul;
        mul *= 128;
        if ((this.buf[i]! & 0x80) === 0) break;
      }
      if (i >= this.buf.length || i === 5 || this.buf.length < i + 1 + rl) return;
      const body = this.buf.subarray(i + 1, i + 1 + rl);
      const b0 = this.buf[0]!;
      this.buf = this.buf.subarray(i + 1 + rl);
      yield [b0, body];
    }
  }

  /** Ends the session as `how` says. */
  end(how: DropHow, disconnectCode: number): void {
    clearTimeout(this.dropTimer);
    switch (how) {
      case 'fin':
        this.tls.end();
        break;
      case 'rst':
        this.raw.resetAndDestroy();
        break;
      case 'disconnect':
        this.tls.end(Buffer.from([0xe0, 0x02, disconnectCode, 0x00]));
        break;
      case 'alert': {
        // an application-data record no key decrypts: the server's OpenSSL answers with a fatal alert
        const record = Buffer.alloc(5 + 32, 0x41);
        record.set([23, 3, 3, 0, 32]);
        this.wire.push(record);
        break;
      }
      case 'malformed':
        this.tls.write(Buffer.from([0x36, 0x02, 0x00, 0x00]));
        break;
      case 'no-pingresp':
        break; // keeps the connection, stops answering PINGREQ (see onPacket)
    }
  }
}

export async function startBadBroker(pki: BadBrokerPki, behaviour: BadBehaviour): Promise<BadBroker> {
  const ca = new X509Certificate(readFileSync(pki.cafile));
  const context = tls.createSecureContext({
    key: readFileSync(pki.keyfile),
    cert: readFileSync(pki.certfile),
    ca: readFileSync(pki.cafile),
  });
  const conns = new Set<Conn>();
  const fresh = (): BadBrokerStats => ({
    connections: 0,
    handshakes: 0,
    rejectedCertificates: 0,
    connects: 0,
    connacks: 0,
    subscribes: 0,
    pings: 0,
    drops: 0,
  });
  const broker = {
    port: 0,
    behaviour,
    stats: fresh(),
    get held(): number {
      let n = 0;
      for (const c of conns) if (c.held) n++;
      return n;
    },
    drop(): number {
      let n = 0;
      for (const c of conns) {
        if (!c.held) continue;
        c.held = false;
        n++;
        broker.stats.drops++;
        c.end(broker.behaviour.drop ?? 'fin', broker.behaviour.disconnectCode ?? 0x8b);
      }
      return n;
    },
    resetStats(): void {
      broker.stats = fresh();
    },
    close: async (): Promise<void> => {
      for (const c of conns) c.raw.destroy();
      conns.clear();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const trusted = (s: tls.TLSSocket): boolean => {
    const peer = s.getPeerX509Certificate();
    const now = Date.now();
    return (
      peer !== undefined &&
      peer.checkIssued(ca) &&
      peer.verify(ca.publicKey) &&
      Date.parse(peer.validFrom) <= now &&
      now <= Date.parse(peer.validTo)
    );
  };

  const onConnect = (c: Conn, body: Buffer): void => {
    broker.stats.connects++;
    // protocol name (2-byte length + "MQTT"), then the protocol level
    c.v5 = body[2 + body.readUInt16BE(0)] === 5;
    const b = broker.behaviour;
    const write = (bytes: Buffer): void => void c.tls.write(bytes);
    switch (b.mode) {
      case 'connack-then-close':
        broker.stats.connacks++;
        broker.stats.drops++;
        c.tls.end(connack(c.v5, 0));
        break;
      case 'close-after-connect':
        // after the tickets and anything else pending has gone out: the client must see them first
        setImmediate(() => (b.reset === true ? c.raw.resetAndDestroy() : c.tls.end()));
        break;
      case 'garbage':
        write(GARBAGE);
        break;
      case 'http':
        c.tls.end(HTTP_400);
        break;
      case 'publish-first':
        write(PUBLISH);
        break;
      case 'pingresp-first':
        write(PINGRESP);
        break;
      case 'raw-first':
        write(b.first ?? GARBAGE);
        break;
      case 'malformed-connack':
        write(malformedConnack(b.malformed ?? 'length', c.v5));
        break;
      case 'never-connack':
        break;
      case 'refuse-all':
        broker.stats.connacks++;
        c.tls.end(connack(c.v5, c.v5 ? 0x87 : 0x05));
        break;
      case 'drop-during-hold':
        broker.stats.connacks++;
        write(connack(c.v5, 0));
        c.held = true;
        if (b.dropAfterMs !== undefined) {
          c.dropTimer = setTimeout(() => {
            if (!c.held) return;
            c.held = false;
            broker.stats.drops++;
            c.end(b.drop ?? 'fin', b.disconnectCode ?? 0x8b);
          }, b.dropAfterMs);
        }
        break;
    }
  };

  const onPacket = (c: Conn, b0: number, body: Buffer): void => {
    switch (b0 >> 4) {
      case 1:
        return onConnect(c, body);
      case 8:
        broker.stats.subscribes++;
        c.tls.write(suback(broker.behaviour.suback ?? 'ok', body.readUInt16BE(0), c.v5));
        return;
      case 12:
        broker.stats.pings++;
        if (!(broker.behaviour.mode === 'drop-during-hold' && broker.behaviour.drop === 'no-pingresp'))
          c.tls.write(PINGRESP);
        return;
      case 14:
        c.held = false;
        c.tls.end();
        return;
    }
  };

  const server = net.createServer((raw) => {
    broker.stats.connections++;
    raw.setNoDelay(true);
    raw.on('error', () => {});
    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        if (raw.destroyed) cb();
        else raw.write(chunk, () => cb());
      },
      final(cb) {
        raw.end();
        cb();
      },
      destroy(err, cb) {
        raw.destroy();
        cb(err);
      },
    });
    raw.on('data', (d: Buffer) => wire.push(d));
    raw.on('end', () => wire.push(null));
    raw.on('close', () => wire.destroy());
    const s = new tls.TLSSocket(wire, {
      isServer: true,
      secureContext: context,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const c = new Conn(raw, wire, s);
    conns.add(c);
    s.on('error', () => {});
    s.once('close', () => {
      clearTimeout(c.dropTimer);
      conns.delete(c);
    });
    s.once('secure', () => {
      if (!trusted(s)) {
        broker.stats.rejectedCertificates++;
        s.destroy();
        return;
      }
      broker.stats.handshakes++;
    });
    s.on('data', (d: Buffer) => {
      c.buf = c.buf.length === 0 ? d : Buffer.concat([c.buf, d]);
      for (const [b0, body] of c.packets()) onPacket(c, b0, body);
    });
  });
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  broker.port = (server.address() as net.AddressInfo).port;
  return broker;
}
