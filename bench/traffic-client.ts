/**
 * bench/traffic's contenders, one process each: connect COUNT devices to the broker, then
 * for SECONDS publish at RATE messages/s over the fleet (QoS 0 or 1, PAYLOAD bytes) and
 * print {connected, sent, acked, cpuMs, wallMs} for the traffic phase alone.
 *
 *   herd: the device driver as a run uses it (prepareDevice, attempt, DeviceTraffic's
 *         schedule: messages built with their header, the flow's window and backpressure)
 *   raw:  tls.connect with a SecureContext per device, a hand-encoded CONNECT, and PUBLISH
 *         packets encoded before the clock starts, written by a 1 ms timer, PUBACKs counted
 *
 * Usage: node traffic-client.js herd|raw PORT STORE COUNT CA_FILE QOS RATE SECONDS PAYLOAD
 */
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { openStore } from '../src/pki/index.js';
import { attempt, prepareDevice, type HeldConnection } from '../src/mqtt/index.js';
import { MessageRecorder } from '../src/metrics/messages.js';
import { DeviceTraffic } from '../src/engine/telemetry.js';
import { telemetry } from '../src/traffic/telemetry.js';
import { epochNow } from '../src/util/clock.js';

const [role, portText, storePath, countText, caFile, qosText, rateText, secondsText, payloadText] =
  process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const qos = Number(qosText) as 0 | 1;
const rate = Number(rateText);
const seconds = Number(secondsText);
const payload = Number(payloadText);
const ca = readFileSync(caFile!);
const store = openStore(storePath!);
const start = store.meta.start;
const CONCURRENCY = 50;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function report(connected: number, sent: () => number, acked: () => number, stop: () => void): void {
  const t0 = epochNow();
  const c0 = cpuMs();
  setTimeout(() => {
    stop();
    // give the last acks a moment, outside the timed window
    const wallMs = epochNow() - t0;
    const cpu = cpuMs() - c0;
    const s = sent();
    setTimeout(() => {
      console.log(JSON.stringify({ connected, sent: s, acked: acked(), cpuMs: cpu, wallMs }));
      process.exit(0);
    }, 1000);
  }, seconds * 1000);
}

/** Connects every device, CONCURRENCY at a time; resolves with how many got in. */
function connectAll(one: (i: number, done: (ok: boolean) => void) => void): Promise<number> {
  return new Promise((resolve) => {
    let next = 0;
    let finished = 0;
    let ok = 0;
    const go = (): void => {
      if (next >= count) return;
      one(next++, (good) => {
        if (good) ok++;
        if (++finished === count) resolve(ok);
        else go();
      });
    };
    for (let k = 0; k < Math.min(CONCURRENCY, count); k++) go();
  });
}

async function herd(): Promise<void> {
  const rec = new MessageRecorder();
  const c = telemetry.fromScenario({ rate: `${rate}/s`, qos, payload }, 'telemetry');
  if (!c.ok) throw new Error('telemetry config');
  const traffic = new DeviceTraffic(
    { traffic: [c.config], mqttVersion: 4, seed: 'bench', shard: 0, deviceStart: start, deviceCount: count },
    rec,
  );
  const held: { i: number; id: string; h: HeldConnection }[] = [];
  const connected = await connectAll((i, done) => {
    const d = store.device(start + i);
    const p = prepareDevice(
      { id: d.id, index: start + i, certPem: d.certPem, keyPem: d.keyPem },
      { serverCaPem: ca, mqttVersion: 4, keepaliveS: 60 },
    );
    const opts = {
      timeouts: { tcpMs: 30_000, tlsMs: 30_000, connackMs: 30_000, subscribeMs: 30_000 },
      traffic: traffic.hooks,
    };
    attempt(p, { host: '127.0.0.1', port, servername: 'localhost' }, opts, (o) => {
      if (o.ok) held.push({ i: start + i, id: d.id, h: o.held });
      done(o.ok);
    });
  });
  let sent = 0;
  let acked = 0;
  const drain = (): void => {
    for (const [, s] of rec.drain().streams) {
      sent += s.published;
      acked += s.acked;
    }
  };
  const now = epochNow();
  for (const { i, id, h } of held) traffic.start(i, id, h, now);
  report(
    connected,
    () => (drain(), sent),
    () => (drain(), acked),
    () => traffic.stop(),
  );
}

async function raw(): Promise<void> {
  const sockets: tls.TLSSocket[] = [];
  let acked = 0;
  const connected = await connectAll((i, done) => {
    const d = store.device(start + i);
    const secureContext = tls.createSecureContext({ key: d.keyPem, cert: d.certPem, ca });
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext });
    s.setNoDelay(true);
    const cid = Buffer.from(d.id);
    const vh = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, cid.length >> 8, cid.length & 255]);
    const body = Buffer.concat([vh, cid]);
    s.once('secureConnect', () => s.write(Buffer.concat([Buffer.from([0x10, body.length]), body])));
    let up = false;
    let carry = 0;
    s.on('data', (b: Buffer) => {
      if (!up) {
        up = b[0] === 0x20 && b[3] === 0;
        if (up) sockets.push(s);
        done(up);
        b = b.subarray(4);
      }
      // the broker sends this device nothing but PUBACKs (4 bytes each) now
      carry += b.length;
      acked += Math.floor(carry / 4);
      carry %= 4;
    });
    s.on('error', () => !up && done(false));
  });
  // pre-encoded: a few PUBLISH packets per device (packet ids cycle 1…1000), topic devices/<id>/telemetry
  const packets = sockets.map((_, k) => {
    const topic = Buffer.from(`devices/${store.device(start + k).id}/telemetry`);
    const rl = 2 + topic.length + (qos ? 2 : 0) + payload;
    return Array.from({ length: 8 }, (_, j) => {
      const b = Buffer.alloc(1 + (rl < 128 ? 1 : 2) + rl, 0x2e);
      let o = 0;
      b[o++] = 0x30 | (qos << 1);
      if (rl < 128) b[o++] = rl;
      else {
        b[o++] = (rl & 0x7f) | 0x80;
        b[o++] = rl >> 7;
      }
      b.writeUInt16BE(topic.length, o);
      topic.copy(b, o + 2);
      o += 2 + topic.length;
      if (qos) b.writeUInt16BE(j + 1, o);
      return b;
    });
  });
  let sent = 0;
  const t0 = epochNow();
  const timer = setInterval(() => {
    const due = Math.floor(((epochNow() - t0) / 1000) * rate);
    while (sent < due) {
      const k = sent % sockets.length;
      const set = packets[k]!;
      sockets[k]!.write(set[Math.floor(sent / sockets.length) % set.length]!);
      sent++;
    }
  }, 1);
  report(
    connected,
    () => sent,
    () => acked,
    () => clearInterval(timer),
  );
}

if (role === 'herd') await herd();
else await raw();
