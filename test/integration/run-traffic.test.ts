/**
 * `herd run` with device traffic, against the embedded broker, as a user runs it: a
 * telemetry scenario's summary.messages counts every message published, acknowledged and
 * delivered, with publish → ack latency; commands are answered by the devices and timed by
 * the controller (MQTT 3.1.1 and 5); a schedule the generator cannot keep is exit 97.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile } from '../helpers/herd.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-run-traffic-'));

function scenario(dir: string, yaml: string): string {
  const f = join(dir, 'scenario.yaml');
  writeFileSync(f, yaml);
  return f;
}

describe('herd run with traffic (embedded broker)', () => {
  it('telemetry: 20 devices × 10 QoS 1 messages, every one published, acked and delivered, acks timed', async () => {
    const out = tmp();
    const file = scenario(
      out,
      `name: telemetry-small
devices: { count: 20, seed: 3 }
mqtt: { version: 5 }
load: { executor: arrival-rate, rate: 100/s, hold: 4s }
traffic:
  - kind: telemetry
    every: 100ms
    jitter: 20%
    payload: "64-128"
    qos: 1
    count: 10
  - kind: subscribers
    name: consumer
    filter: "devices/+/telemetry"
    qos: 1
`,
    );
    const r = await herd(['run', file, '--out', out, '--quiet'], 90_000);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const s = readSummaryFile(out);
    expect(s.messages?.telemetry).toMatchObject({
      published: 200,
      acked: 200,
      delivered: 200,
      lost: 0,
      duplicated: 0,
      unacked: 0,
    });
    expect(s.messages!.telemetry!.bytes).toBeGreaterThanOrEqual(200 * 64);
    expect(s.messages!.telemetry!.bytes).toBeLessThanOrEqual(200 * 128);
    expect(s.latency.publish_ack?.count).toBe(200);
    expect(s.latency.delivery?.count).toBe(200);
  });

  it.each([4, 5] as const)('commands, MQTT %s: every command answered by its device, round trips timed', async (v) => {
    const out = tmp();
    const file = scenario(
      out,
      `name: commands-small
devices: { count: 10, seed: 4 }
mqtt: { version: ${v} }
load: { executor: arrival-rate, rate: 100/s, hold: 3s }
traffic:
  - kind: commands
    rate: 20/s
    qos: 1
`,
    );
    const r = await herd(['run', file, '--out', out, '--quiet'], 90_000);
    expect(r.code).toBe(0);
    const c = readSummaryFile(out).messages!.commands!;
    expect(c.published).toBeGreaterThan(10);
    expect(c.delivered).toBe(c.published);
    expect(c.lost).toBe(0);
    expect(readSummaryFile(out).latency.command_rtt?.count).toBe(c.published);
  });

  it('a schedule the generator cannot keep (a message per ms per device) is inconclusive, exit 97', async () => {
    const out = tmp();
    const r = await herd(
      ['run', '--devices', '20', '--rate', '100/s', '--hold', '1s', '--publish-every', '1ms', '--out', out, '--quiet'],
      90_000,
    );
    expect(r.code).toBe(97);
    const s = readSummaryFile(out);
    expect(s.verdict).toBe('inconclusive');
    const t = s.messages!.telemetry!;
    expect(t.late / t.published).toBeGreaterThan(0.01);
    expect(s.generator.saturation_reasons.join(' ')).toMatch(/messages were sent late/);
  });
});
