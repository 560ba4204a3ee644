/**
 * The handshake benchmark's baseline: raw tls.connect with a SecureContext built once per
 * device, a hand-encoded MQTT 3.1.1 CONNECT, wait for CONNACK, DISCONNECT, close — as lean
 * as a Node client can be.
 */
import tls from 'node:tls';
import { closedLoop } from './closed-loop.js';

function connectPacket(id: string): Buffer {
  const cid = Buffer.from(id);
  // variable header: protocol name "MQTT", level 4, flags clean session, keepalive 60
  const vh = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, cid.length >> 8, cid.length & 255]);
  const body = Buffer.concat([vh, cid]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}
const DISCONNECT = Buffer.from([0xe0, 0]);

closedLoop(({ device, secureContext, port, servername, finish }) => {
  const packet = connectPacket(device.id);
  const s = tls.connect({ host: '127.0.0.1', port, servername, secureContext });
  s.setNoDelay(true);
  s.once('secureConnect', () => s.write(packet));
  s.on('data', (b: Buffer) => {
    if (b[0] === 0x20 && b[3] === 0) {
      s.end(DISCONNECT);
      finish(true);
    } else {
      s.destroy();
      finish(false);
    }
  });
  s.on('error', () => finish(false));
  s.on('close', () => finish(false));
});
