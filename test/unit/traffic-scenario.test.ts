import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { InputErrors, InputError } from '../../src/errors.js';
import { receiversOf, streamPlans, telemetryFromFlags } from '../../src/traffic/registry.js';
import type { StreamConfig } from '../../src/traffic/stream.js';

function problems(text: string): string[] {
  try {
    parseScenario(text, 't.yaml');
  } catch (e) {
    if (e instanceof InputErrors) return e.errors.map((x) => x.message);
    if (e instanceof InputError) return [e.message];
    throw e;
  }
  return [];
}

const scenario = (...traffic: string[]): string =>
  ['name: t', 'devices: { count: 10 }', 'mqtt: { version: 5 }', 'traffic:', ...traffic, ''].join('\n');

describe('a scenario’s traffic', () => {
  it('parses telemetry, commands and subscribers, naming repeated kinds apart', () => {
    const s = parseScenario(
      scenario(
        '  - { kind: telemetry, every: 5s, qos: 1, payload: 64-512, jitter: 10% }',
        '  - { kind: telemetry, rate: 200/s, topic: "fleet/{i}/t" }',
        '  - { kind: commands, rate: 10/s, controllers: 2 }',
        '  - { kind: subscribers, count: 3, filter: "devices/+/telemetry" }',
      ),
      't.yaml',
    );
    expect(s.traffic?.map((c) => c.name)).toEqual(['telemetry', 'telemetry-2', 'commands', 'subscribers']);
    expect(s.traffic?.[0]).toMatchObject({
      everyMs: 5000,
      qos: 1,
      payload: { kind: 'size', min: 64, max: 512 },
      jitter: { kind: 'uniform', share: 0.1 },
    });
    expect(s.traffic?.[1]).toMatchObject({ rate: 200, everyMs: undefined });
  });

  it('points at each bad key with its line and column', () => {
    const found = problems(
      scenario(
        '  - { kind: telemetry, every: 1s, rate: 5/s, topic: "a/+/{idx}" }',
        '  - { kind: subscribers, count: 2, filter: "a/#/b", client_id: sub }',
        '  - { kind: commands, rate: 1/s, command_topic: "all/commands" }',
      ),
    );
    expect(found).toEqual([
      expect.stringMatching(/^t\.yaml:5:\d+: traffic\[0\]\.every: give either every .* or rate/),
      expect.stringMatching(/^t\.yaml:5:\d+: traffic\[0\]\.topic: a topic to publish to may not hold the wildcards/),
      expect.stringMatching(/^t\.yaml:5:\d+: traffic\[0\]\.topic: unknown placeholder \{idx\}/),
      expect.stringMatching(/^t\.yaml:6:\d+: traffic\[1\]\.filter: # must be a whole level/),
      expect.stringMatching(/^t\.yaml:6:\d+: traffic\[1\]\.client_id: several subscribers need \{n\}/),
      expect.stringMatching(/^t\.yaml:7:\d+: traffic\[2\]\.command_topic: expected a per-device topic/),
    ]);
  });

  it('rejects an unknown stream kind and an unknown key', () => {
    expect(problems(scenario('  - { kind: gossip, rate: 1/s }')).join('\n')).toMatch(/traffic\[0\]/);
    expect(problems(scenario('  - { kind: telemetry, every: 1s, qso: 1 }')).join('\n')).toMatch(/qso/);
  });

  it('refuses MQTT 5 properties and a template without {herd} under MQTT 3.1.1', () => {
    const text = [
      'name: t',
      'mqtt: { version: 4 }',
      'traffic:',
      '  - kind: telemetry',
      '    every: 1s',
      '    payload: { template: \'{"id":"{id}"}\' }',
      '    properties: { content_type: application/json }',
      '',
    ].join('\n');
    const found = problems(text);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/traffic\[0\]\.payload\.template: with MQTT 3\.1\.1 a template must hold \{herd\}/);
    expect(found[1]).toMatch(/traffic\[0\]\.properties: MQTT 5 properties need mqtt\.version 5/);
  });

  it('refuses a subscriber filter that matches some devices of a stream only (their loss could not be counted)', () => {
    const found = problems(
      scenario(
        '  - { kind: telemetry, every: 1s, topic: "devices/{id}/telemetry" }',
        '  - { kind: subscribers, filter: "devices/dev-1/telemetry" }',
        '  - { kind: subscribers, filter: "devices/+/telemetry" }',
        '  - { kind: subscribers, filter: "devices/dev-1/other" }',
      ),
    );
    expect(found).toEqual([
      expect.stringMatching(
        /^t\.yaml:6:\d+: traffic\[1\]\.filter: "devices\/dev-1\/telemetry" matches the topic "devices\/\{id\}\/telemetry" of stream "telemetry" for some devices only; .*put \+ \(or #\) at the device's level$/,
      ),
    ]);
  });

  it('refuses a payload too small for the header', () => {
    expect(problems(scenario('  - { kind: telemetry, every: 1s, payload: 10 }')).join('\n')).toMatch(
      /payload: expected 24…268435455 bytes/,
    );
  });
});

describe('receivers per message', () => {
  const traffic = (): StreamConfig[] => {
    const s = parseScenario(
      scenario(
        '  - { kind: telemetry, every: 1s, qos: 1 }',
        '  - { kind: subscribers, count: 3, filter: "devices/+/telemetry" }',
        '  - { kind: subscribers, count: 4, filter: "$share/g/devices/#" }',
        '  - { kind: subscribers, count: 5, filter: "other/#" }',
        '  - { kind: commands, rate: 1/s }',
      ),
      't.yaml',
    );
    return s.traffic!;
  };

  it('counts the subscribers a stream reaches, a shared group once', () => {
    expect(receiversOf(traffic(), 0)).toBe(3 + 1);
    expect(receiversOf(traffic(), 1)).toBe(0);
  });

  it('plans one expected delivery per command (its response)', () => {
    expect(streamPlans(traffic()).map((p) => [p.name, p.qos, p.receivers])).toEqual([
      ['telemetry', 1, 4],
      ['subscribers', 0, 0],
      ['subscribers-2', 0, 0],
      ['subscribers-3', 0, 0],
      ['commands', 1, 1],
    ]);
  });

  it('makes one telemetry stream of the flags', () => {
    expect(telemetryFromFlags({ everyMs: 2000, messages: 5, qos: 2, payload: 100, topic: undefined })).toMatchObject({
      kind: 'telemetry',
      everyMs: 2000,
      count: 5,
      qos: 2,
      payload: { kind: 'size', min: 100, max: 100 },
      topic: 'devices/{id}/telemetry',
    });
  });
});
