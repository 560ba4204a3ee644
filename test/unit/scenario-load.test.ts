import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, loadScenario } from '../../src/scenario/load.js';
import { runConfigFromFlags, parseRunArgs } from '../../src/cli/run-flags.js';
import { InputErrors, InputError } from '../../src/errors.js';

function problems(text: string): string[] {
  try {
    parseScenario(text, 'x.yaml');
  } catch (e) {
    if (e instanceof InputErrors) return e.errors.map((x) => x.message);
    if (e instanceof InputError) return [e.message];
    throw e;
  }
  return [];
}

describe('scenario loading', () => {
  it('rejects a typo three levels deep with its line and column, suggesting the right key', () => {
    const text = [
      'name: storm',
      'load:',
      '  executor: reconnect-storm',
      '  rate: 100/s',
      '  backoff:',
      '    intial: 5s',
      '    max: 60s',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      'x.yaml:6:5: load.backoff.intial: unknown key "intial" — did you mean "initial"? (expected "initial", "max", "jitter")',
    ]);
  });

  it('reports every problem at once, in file order, each with its position', () => {
    const text = [
      'name: r',
      'devices: { count: 0 }',
      'load:',
      '  executor: ramping-arrival-rate',
      '  stages: [ { duration: 10 s, target: 5 } ]',
      'faults: { expired: 1 }',
      'thresholds:',
      '  connect_duration: ["p(99) < fast"]',
    ].join('\n');
    const p = problems(text);
    expect(p).toHaveLength(4);
    expect(p[0]).toMatch(/^x\.yaml:2:19: devices\.count: expected at least 1/);
    expect(p[1]).toMatch(/^x\.yaml:5:25: load\.stages\[0\]\.duration: .*no spaces/);
    expect(p[2]).toMatch(/^x\.yaml:6:20: faults\.expired: expected a share like 1%/);
    expect(p[3]).toMatch(/^x\.yaml:8:22: thresholds\.connect_duration\[0\]:/);
  });

  it('says what an executor is missing and where', () => {
    expect(problems('load: { executor: constant-connections, rate: 10/s }')).toEqual([
      'x.yaml:1:19: load.executor: constant-connections needs load.duration (how long to keep them connected)',
    ]);
    expect(problems('load: { executor: arrival-rat, rate: 10/s }')[0]).toMatch(/did you mean "arrival-rate"/);
  });

  it('refuses key_mismatch as a fault: it is a local configuration error', () => {
    expect(problems('faults: { key_mismatch: 1% }')).toEqual([
      'x.yaml:1:11: faults.key_mismatch: key_mismatch is a local configuration error (the device cannot even complete its side of the handshake), not a credential a broker accepts or rejects: herd refuses it before the run',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('load: { executor: arrival-rate\nrate: 1')[0]).toMatch(/^x\.yaml:\d+:\d+: YAML:/);
  });

  it('lets flags override the file', () => {
    const s = parseScenario(
      'name: f\ndevices: { count: 500 }\nload: { executor: arrival-rate, rate: 50/s, hold: 3s }\nmqtt: { version: 5 }\n',
      'x.yaml',
    );
    const c = runConfigFromFlags(parseRunArgs(['x.yaml', '--rate', '200/s', '--devices', '100']).parsed, false, s);
    expect(c.scenario).toBe('f');
    expect(c.devices).toBe(100);
    expect(c.load).toEqual({ executor: 'arrival-rate', rate: 200, durationMs: undefined });
    expect(c.holdMs).toBe(3000);
    expect(c.mqtt.version).toBe(5);
  });

  it('loads every shipped scenario', () => {
    const dir = join(import.meta.dirname, '..', '..', 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual([
      'cert-faults.yaml',
      'commands.yaml',
      'fan-out.yaml',
      'ramp.yaml',
      'reconnect-storm.yaml',
      'smoke.yaml',
      'soak.yaml',
      'telemetry.yaml',
    ]);
    for (const f of files) expect(() => loadScenario(join(dir, f))).not.toThrow();
    // the traffic scenarios say what the issue asks of them
    const telemetry = loadScenario(join(dir, 'telemetry.yaml'));
    expect(telemetry.devices).toBe(10_000);
    expect(telemetry.traffic?.[0]).toMatchObject({
      kind: 'telemetry',
      everyMs: 10_000,
      qos: 1,
      jitter: { share: 0.2 },
    });
    expect(telemetry.traffic?.[0]).toMatchObject({ payload: { kind: 'size', min: 256, max: 256 } });
    const commands = loadScenario(join(dir, 'commands.yaml'));
    expect(commands.traffic?.[0]).toMatchObject({ kind: 'commands', controllers: 1, rate: 100 });
    expect(Object.keys(commands.thresholds ?? {})).toContain('command_rtt');
    const fanOut = loadScenario(join(dir, 'fan-out.yaml'));
    expect(fanOut.traffic?.map((t) => t.kind)).toEqual(['telemetry', 'subscribers']);
  });
});
