/**
 * The embedded broker's listeners besides its mTLS one: plain MQTT over TCP (mqtt://),
 * MQTT over WebSocket with the same mTLS (wss://) and without TLS (ws://). Each hands
 * the broker a stream to speak MQTT over; the WebSocket ones answer an upgrade on another
 * path with 404 and one without the `mqtt` subprotocol with 400, as mosquitto and EMQX do.
 */
import type http from 'node:http';
import type https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';

/** What the TLS and WSS listeners share: the server certificate, client certificates required, the ALPN list. */
export interface TlsListenerOptions {
  caPem: string | Buffer;
  certPem: string | Buffer;
  keyPem: string | Buffer;
  crlPem?: string | Buffer | undefined;
  minVersion?: tls.SecureVersion | undefined;
  maxVersion?: tls.SecureVersion | undefined;
  alpnProtocols?: string[] | undefined;
  handshakeTimeoutMs?: number | undefined;
}

export function tlsServerOptions(o: TlsListenerOptions): tls.TlsOptions {
  return {
    key: o.keyPem,
    cert: o.certPem,
    ca: o.caPem,
    crl: o.crlPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: o.minVersion,
    maxVersion: o.maxVersion,
    // a client offering none of these gets the no_application_protocol alert
    ALPNProtocols: o.alpnProtocols,
    handshakeTimeout: o.handshakeTimeoutMs ?? 10_000,
  };
}

/** A plain TCP listener: every accepted socket is an MQTT stream. */
export function tcpServer(onStream: (s: net.Socket) => void): net.Server {
  return net.createServer(onStream);
}

/**
 * A WebSocket listener over `server` (an http.Server for ws://, an https.Server for wss://):
 * upgrades on `path` with the `mqtt` subprotocol become MQTT streams (`socket`: the TCP or
 * TLS socket under it, for the client certificate).
 */
export function attachWebSocket(
  server: http.Server | https.Server,
  path: string,
  onStream: (stream: Duplex, socket: net.Socket) => void,
  onRejected: (status: number) => void,
): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '/';
    const at = url.indexOf('?');
    const reqPath = at === -1 ? url : url.slice(0, at);
    if (reqPath !== path) return refuse(socket, 404, 'Not Found', onRejected);
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    if (!offered.includes('mqtt')) return refuse(socket, 400, 'Bad Request', onRejected);
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      const stream = createWebSocketStream(ws);
      stream.on('error', () => {});
      onStream(stream, socket as net.Socket);
    });
  });
  // anything but an upgrade: this server speaks only MQTT over WebSocket
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end();
  });
  return wss;
}

function refuse(socket: Duplex, status: number, text: string, onRejected: (status: number) => void): void {
  onRejected(status);
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
