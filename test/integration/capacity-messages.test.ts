/**
 * `herd capacity --search messages` as a user runs it, against the embedded broker: a
 * fleet of 20 devices held to a maximum message rate steps 50 → 100 messages/s and
 * confirms 100, every step's messages counted exactly (published = acknowledged =
 * delivered = the devices × the messages each, rate × step rounded up to whole messages
 * per device), its answer in messages/s; the stream and fleet from flags alone
 * (--publish-every, --devices) are judged by their acks; an SLO that no rate can hold steps down to one
 * message per device per step and exits 99; bad input is exit 2 naming the flag or the
 * place in the scenario.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { herd, readSummaryFile } from '../helpers/herd.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-capmsg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenario(name: string, yaml: string): string {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, yaml);
  return f;
}

const FLEET = `devices: { count: 20, seed: 7 }
mqtt: { version: 5 }
load: { executor: arrival-rate, rate: 200/s, hold: 2s }
`;

const telemetry = scenario(
  'telemetry',
  `name: msg-capacity
${FLEET}traffic:
  - kind: telemetry
    every: 1s
    payload: 64
    qos: 1
  - kind: subscribers
    name: consumer
    filter: "devices/+/telemetry"
    qos: 1
`,
);

describe('herd capacity --search messages', () => {
  it('bounded by --max-rate: 50 and 100 messages/s held and 100 confirmed, every message counted', async () => {
    const out = join(dir, 'max');
    const r = await herd(
      [
        'capacity',
        telemetry,
        '--search',
        'messages',
        '--rate',
        '50/s',
        '--max-rate',
        '100/s',
        '--duration',
        '1s',
        '--budget',
        '60s',
        '--out',
        out,
      ],
      90_000,
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const s = readSummaryFile(out);
    const cap = s.capacity!;
    expect(cap.unit).toBe('messages/s');
    // a step where this (shared) machine stalled the generator is retried once: it says nothing of the broker
    const steps = cap.steps.filter((x) => !x.saturated);
    expect(steps.map((x) => [x.rate, x.kind === 'retry' ? 'ramp' : x.kind, x.ok])).toEqual([
      [50, 'ramp', true],
      [100, 'ramp', true],
      [100, 'confirm', true],
    ]);
    expect(cap).toMatchObject({ max_rate: 100, limited_by: 'max_rate', at_least: true, confirmed: true });
    expect(cap.fleet).toEqual({
      devices: 20,
      connect_rate: 200,
      stream: 'telemetry',
      qos: 1,
      subscribers: 1,
      publishing: 20,
    });
    // rate × length messages each step (50/s × 1s over 20 devices: 3 each, so 1.2s), every one acknowledged and delivered once
    const scheduled = [60, 100, 600];
    expect(steps.map((x) => x.duration_ms)).toEqual([1200, 1000, 6000]);
    expect(steps.map((x) => x.messages!.scheduled)).toEqual(scheduled);
    for (const [i, x] of steps.entries()) {
      expect(x.messages).toMatchObject({
        published: scheduled[i],
        acked: scheduled[i],
        delivered: scheduled[i],
        expected_deliveries: scheduled[i],
        lost: 0,
        duplicated: 0,
        latency: 'delivery',
      });
      // the fleet connected once per step, all of it
      expect([x.attempted, x.connected, x.failed]).toEqual([20, 20, 0]);
    }
    expect(cap.slo).toEqual([
      'delivery_duration p(99) < 500ms',
      'message_loss rate < 0.001',
      'publish_ack_duration p(99) < 500ms',
    ]);
    // the summary is the confirming hold's
    expect(s.messages!.telemetry).toMatchObject({ published: 600, delivered: 600, lost: 0 });
    expect(s.latency.delivery!.count).toBe(600);
    expect(r.stdout).toMatch(/^capacity {2}at least 100 messages\/s \(confirmed by a longer hold\)/m);
    expect(r.stdout).toMatch(/^ {2}step {2}kind {6}msgs\/s {2}achieved\/s/m);
    expect(r.stdout).toMatch(/published 600\/600, acked 600, delivered 600\/600/);
    expect(r.stdout).toMatch(/^ {2}fleet {7}20 devices \(20 publishing on telemetry, QoS 1\)/m);
    expect(s.verdict_reason).toMatch(/^max sustainable message rate at least 100\/s/);
    // report.html: the capacity section in messages/s, each step's counts
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/Max sustainable message rate<\/div><div class="tile-value">≥ 100 msg\/s/);
    expect(html).toMatch(/>messages\/s<\/th>/);
    expect(html).toMatch(/published 600 of 600, acked 600, delivered 600 of 600/);
    expect(html).toMatch(/Fleet: 20 devices \(20 publishing on <code>telemetry<\/code>, QoS 1\)/);
  });

  it('without a scenario: --publish-every gives the stream, --devices the fleet; acks judge it', async () => {
    const out = join(dir, 'flags');
    const r = await herd(
      [
        'capacity',
        '--search',
        'messages',
        '--devices',
        '10',
        '--publish-every',
        '1s',
        '--qos',
        '1',
        '--rate',
        '40/s',
        '--max-rate',
        '40/s',
        '--duration',
        '1s',
        '--budget',
        '60s',
        '--out',
        out,
        '--quiet',
      ],
      90_000,
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const cap = readSummaryFile(out).capacity!;
    expect(cap).toMatchObject({ unit: 'messages/s', max_rate: 40, limited_by: 'max_rate', confirmed: true });
    expect(cap.fleet).toMatchObject({ devices: 10, connect_rate: 100, qos: 1, subscribers: 0, publishing: 10 });
    expect(cap.slo).toEqual(['publish_ack_duration p(99) < 500ms']);
    const steps = cap.steps.filter((x) => !x.saturated);
    expect(steps.map((x) => [x.kind === 'retry' ? 'ramp' : x.kind, x.messages!.published, x.messages!.acked])).toEqual([
      ['ramp', 40, 40],
      ['confirm', 240, 240],
    ]);
    expect(steps.every((x) => x.messages!.latency === 'publish_ack' && x.messages!.delivered === 0)).toBe(true);
  });

  it('an SLO that no rate can hold: steps down to one message per device per step, then exit 99', async () => {
    const out = join(dir, 'none');
    const r = await herd(
      [
        'capacity',
        telemetry,
        '--search',
        'messages',
        '--rate',
        '40/s',
        '--duration',
        '1s',
        '--budget',
        '60s',
        '--threshold',
        'delivery_duration:p(50) < 1us',
        '--out',
        out,
        '--quiet',
      ],
      90_000,
    );
    expect(r.code, r.stderr + r.stdout).toBe(99);
    const cap = readSummaryFile(out).capacity!;
    expect(cap).toMatchObject({ unit: 'messages/s', max_rate: null, limited_by: 'slo', ceiling: 20 });
    // 40/s, then 20/s: one message per device in 1 s; below that a step would be longer than asked
    const steps = cap.steps.filter((x) => !x.saturated); // a stalled step is retried (see above)
    expect(steps.map((x) => [x.rate, x.ok, x.messages!.published, x.messages!.delivered])).toEqual([
      [40, false, 40, 40],
      [20, false, 20, 20],
    ]);
    expect(steps[1]!.broke[0]).toMatch(/^delivery_duration p\(50\) < 1us: p\(50\)=/);
    expect(cap.reason).toMatch(/^no rate held the SLOs: at 20 messages\/s, the lowest tried, delivery_duration/);
  });

  it('bad input: exit 2 naming the flag or the place in the scenario, no stack trace', async () => {
    const none = scenario('none', `name: no-traffic\n${FLEET}`);
    const two = scenario(
      'two',
      `name: two\n${FLEET}traffic:\n  - kind: telemetry\n    name: a\n    every: 1s\n    qos: 1\n  - kind: telemetry\n    name: b\n    every: 1s\n    qos: 1\n`,
    );
    const qos0 = scenario('qos0', `name: qos0\n${FLEET}traffic:\n  - kind: telemetry\n    every: 1s\n`);
    const cases: [string[], RegExp][] = [
      [['--search', 'bytes'], /--search: expected connects .* or messages .*, got "bytes"/],
      [['--search', 'messages'], /--search messages: a message search steps the rate of a telemetry stream/],
      [[none, '--search', 'messages'], /none\.yaml:\d+:\d+: a message search steps the rate of a telemetry stream/],
      [[two, '--search', 'messages'], /two\.yaml:10:5: 2 telemetry streams \(a, b\): a message search steps one/],
      [[qos0, '--search', 'messages'], /qos0\.yaml:6:5: the telemetry stream "telemetry" is QoS 0 and no subscribers/],
      [
        ['--search', 'messages', '--publish-every', '1s'],
        /--qos: the telemetry stream "telemetry" is QoS 0 and no subscribers stream receives it/,
      ],
      [[telemetry, '--search', 'messages', '--hold', '5s'], /--hold: a message search holds the fleet/],
      [
        [telemetry, '--search', 'messages', '--publish-every', '1s', '--messages', '3'],
        /--messages: a message search sets how many messages each device sends/,
      ],
      [[telemetry, '--devices', '20'], /--devices: a capacity search sizes each step itself/],
      [[telemetry, '--search', 'messages', '--rate', 'max'], /--rate: a capacity search is open loop/],
    ];
    for (const [args, message] of cases) {
      const r = await herd(['capacity', ...args, '--quiet']);
      expect(r.code, args.join(' ') + r.stderr).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(/ at .*\.js:\d+/); // no stack trace
    }
    const help = await herd(['capacity', '--help']);
    expect(help.stdout).toMatch(/--search messages +find the highest message rate \(messages\/s for the whole fleet\)/);
  });
});
