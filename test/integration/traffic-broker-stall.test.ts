/**
 * A broker that stalls and a broker that drops, Debian mosquitto both times: N devices send
 * M QoS 1 messages each to one subscriber, and the test stops mosquitto (SIGSTOP) for one
 * second once every client is connected, then lets it go on (SIGCONT).
 *
 * - Stalled only: nothing is lost, so the counts stay exact (N×M published, acked and
 *   delivered), and the messages due during the pause show the pause in the delivery and
 *   acknowledgement maxima, because latency counts from each message's intended send time.
 * - With `max_inflight_messages 1` and `max_queued_messages 10`, the subscriber cannot take
 *   what piled up during the pause as fast as mosquitto reads it: mosquitto drops what does
 *   not fit its queue (and says so in its log), and herd counts each drop as lost — exactly
 *   published − delivered, never hidden — and a loss gate fails the run. With a window of
 *   one, the devices' messages wait for mosquitto's acknowledgements after the pause: late,
 *   but held back by the broker, so the generator is not called saturated for them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { herd, readSummaryFile } from '../helpers/herd.js';
import { clientsConnected, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { scenarioFile } from '../helpers/traffic-clients.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-stall-'));
const N = 10;
const M = 15;
const PAUSE_MS = 1000;
const EVERY_MS = 200;

const scenario = scenarioFile(`name: broker-stall
devices: { count: ${N} }
mqtt: { version: 5 }
load: { executor: arrival-rate, rate: 50/s, hold: 8s }
traffic:
  - kind: telemetry
    topic: "devices/{id}/telemetry"
    every: ${EVERY_MS}ms
    count: ${M}
    payload: 64
    qos: 1
  - kind: subscribers
    count: 1
    filter: "devices/+/telemetry"
    qos: 1
`);

const pki = join(tmp(), 'pki');
beforeAll(async () => {
  for (const a of [
    ['pki', 'ca', '--out', pki],
    ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
  ]) {
    const r = await herd(a);
    expect(r.code, r.stderr).toBe(0);
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Once mosquitto has logged every client (N devices and the subscriber), stop it for PAUSE_MS. */
async function stallWhenAllConnected(m: Mosquitto, run: Promise<unknown>): Promise<boolean> {
  let ended = false;
  void run.finally(() => (ended = true));
  while (!ended && clientsConnected(m) < N + 1) await sleep(20);
  if (ended) return false;
  await sleep(2 * EVERY_MS); // telemetry under way
  m.pause();
  try {
    await sleep(PAUSE_MS);
  } finally {
    m.resume();
  }
  return true;
}

async function stalledRun(m: Mosquitto, extra: string[] = []) {
  const out = tmp();
  const args = ['--target', `mqtts://127.0.0.1:${m.port}`, '--pki', pki, '--servername', 'localhost'];
  const run = herd(['run', scenario, ...args, ...extra, '--out', out, '--quiet']);
  const stalled = await stallWhenAllConnected(m, run);
  const r = await run;
  expect(stalled, r.stderr).toBe(true);
  return { r, s: readSummaryFile(out) };
}

describe('a broker stopped for a second mid-run (SIGSTOP/SIGCONT)', () => {
  it('counts stay exact; the pause shows in delivery and ack maxima from the intended send time', async () => {
    const m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
    });
    try {
      const { r, s } = await stalledRun(m);
      expect([0, 97], r.stderr).toContain(r.code);
      expect(s.counts.connected).toBe(N);
      expect(s.messages!.telemetry).toMatchObject({
        published: N * M,
        acked: N * M,
        delivered: N * M,
        lost: 0,
        duplicated: 0,
      });
      expect(s.latency.delivery!.count).toBe(N * M);
      // a message due just after the pause began waited for all the rest of it
      expect(s.latency.delivery!.max).toBeGreaterThanOrEqual(PAUSE_MS - EVERY_MS);
      expect(s.latency.publish_ack!.max).toBeGreaterThanOrEqual(PAUSE_MS - EVERY_MS);
      // ...and the messages of the quiet seconds did not
      expect(s.latency.delivery!.p50).toBeLessThan(s.latency.delivery!.max);
    } finally {
      await m.stop();
    }
  });
});

describe('a broker that drops what its queue cannot hold (max_queued_messages 10)', () => {
  it('every drop is counted lost, published − delivered exactly, and a loss gate fails the run', async () => {
    const m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
      extra: ['max_inflight_messages 1', 'max_queued_messages 10'],
    });
    try {
      const { r, s } = await stalledRun(m, ['--threshold', 'message_loss:rate < 0.0001']);
      expect(m.log()).toMatch(/Outgoing messages are being dropped for client subscriber-0/);
      const t = s.messages!.telemetry!;
      expect(t.published).toBe(N * M);
      expect(t.acked).toBe(N * M); // the devices' messages all reached the broker...
      expect(t.lost).toBeGreaterThan(0); // ...not all of them the subscriber
      expect(t.delivered + t.lost).toBe(N * M);
      expect(s.latency.delivery!.count).toBe(t.delivered);
      // the messages that waited for the broker's window are its pace, not a generator that fell behind
      expect(t.held_back).toBeGreaterThan(0);
      expect(s.findings.find((f) => f.code === 'broker_held_back')?.evidence.held_back).toBe(t.held_back);
      expect(s.generator.saturation_reasons.join()).not.toMatch(/messages were sent late/);
      expect(r.code, s.verdict_reason).toBe(s.generator.saturated ? 97 : 99);
      const gate = s.thresholds.find((g) => g.metric === 'message_loss');
      expect(gate?.ok).toBe(false);
    } finally {
      await m.stop();
    }
  });
});
