import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { startMosquitto, mosquittoVersion } from '../helpers/mosquitto.js';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';

describe('mosquitto test helper', () => {
  it('starts Debian mosquitto with mTLS and accepts a TLS handshake', async () => {
    expect(mosquittoVersion()).toMatch(/mosquitto version 2\./);
    const dir = mkdtempSync(join(tmpdir(), 'herd-t-'));
    const ca = opensslCa(dir);
    const srv = opensslLeaf(ca, 'server', 'server', 'localhost');
    const dev = opensslLeaf(ca, 'dev-1', 'device');
    const m = await startMosquitto({ cafile: ca.crt, certfile: srv.crt, keyfile: srv.key });
    try {
      const sock = tls.connect({
        host: '127.0.0.1',
        port: m.port,
        servername: 'localhost',
        ca: readFileSync(ca.crt),
        cert: readFileSync(dev.crt),
        key: readFileSync(dev.key),
      });
      await new Promise<void>((resolve, reject) => {
        sock.once('secureConnect', resolve);
        sock.once('error', reject);
      });
      expect(sock.authorized).toBe(true);
      // MQTT 3.1.1 CONNECT, client id "dev-1", keepalive 10
      const cid = Buffer.from('dev-1');
      const vh = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 10, 0, cid.length]);
      const body = Buffer.concat([vh, cid]);
      sock.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
      const connack = await new Promise<Buffer>((resolve, reject) => {
        sock.once('data', resolve);
        sock.once('error', reject);
      });
      expect([...connack.subarray(0, 4)]).toEqual([0x20, 2, 0, 0]);
      sock.destroy();
    } finally {
      await m.stop();
    }
  });
});
