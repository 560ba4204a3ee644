/**
 * Opening the socket of an attempt: a TCP connect (mqtt://, ws://) or a TLS one (mqtts://,
 * wss://), with one options object per kind reused for every connect (Node copies what it
 * needs synchronously), so a connect allocates only what Node itself does.
 */
import net from 'node:net';
import tls from 'node:tls';
import { contextFor, type PreparedDevice } from './device.js';
import { useCachedPeerCertificate } from './server-identity.js';
import { kConn, type Sock, type SocketOwner } from './socket-events.js';
import type { Target } from './types.js';

const tlsOpts: tls.ConnectionOptions & { localAddress?: string | undefined } = { host: '', port: 0 };
const tcpOpts: net.TcpNetConnectOpts = { host: '', port: 0 };

/**
 * Opens the socket toward `target` and ties it to `owner` (listeners are the caller's to add).
 * `session`: a TLS session to offer for resumption. Throws what net/tls.connect throw synchronously,
 * and a CredentialsError when the device's certificate or key cannot be loaded.
 */
export function dial(
  owner: SocketOwner,
  target: Target,
  secure: boolean,
  device: PreparedDevice,
  session: Buffer | undefined,
): Sock {
  let s: Sock;
  if (secure) {
    tlsOpts.host = target.host;
    tlsOpts.port = target.port;
    tlsOpts.servername = target.servername;
    tlsOpts.localAddress = target.localAddress;
    // the device's own context, or the shared one given its certificate and key just now
    tlsOpts.secureContext = contextFor(device);
    tlsOpts.session = session;
    tlsOpts.ALPNProtocols = target.alpn;
    s = tls.connect(tlsOpts) as Sock;
    // the server's certificate in detail once per thread, not once per handshake (server-identity.ts)
    useCachedPeerCertificate(s);
  } else {
    tcpOpts.host = target.host;
    tcpOpts.port = target.port;
    tcpOpts.localAddress = target.localAddress;
    s = net.connect(tcpOpts) as Sock;
  }
  s[kConn] = owner;
  s.setNoDelay(true);
  return s;
}
