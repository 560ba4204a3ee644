import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerExecutor, executorNames } from '../../src/load/registry.js';
import { check, refuseFlags, scenarioValue, type ConfigProblem, type Executor } from '../../src/load/executor.js';
import { parseScenario } from '../../src/scenario/load.js';
import { schemaFileText } from '../../src/scenario/schema.js';
import { parseRunArgs, runConfigFromFlags } from '../../src/cli/run-flags.js';
import { runHerd } from '../../src/run/run.js';
import { InputErrors } from '../../src/errors.js';

/**
 * An executor written the way a new one is: one module (here, this block) and one
 * registration line. `burst`: the devices connect in `waves` bursts, `gap` apart, every
 * device of a wave at the same intended instant.
 */
interface BurstConfig {
  executor: 'burst';
  waves: number;
  gapMs: number;
}

const burst: Executor<BurstConfig> = {
  name: 'burst',
  description: 'the devices in waves, all of a wave at once',
  schema: {
    waves: { type: 'integer', minimum: 1, description: 'how many bursts' },
    gap: { type: 'string', format: 'duration', description: 'time between bursts' },
  },
  required: ['waves'],
  holdsUntilEnd: false,
  acceptsReconnect: true,
  fromScenario: (raw) => ({
    ok: true,
    config: {
      executor: 'burst',
      waves: raw.waves as number,
      gapMs: scenarioValue.duration(raw.gap) ?? 1000,
    },
  }),
  fromFlags(flags, base) {
    refuseFlags('burst', flags, ['rate', 'connections']);
    return base ?? { executor: 'burst', waves: 2, gapMs: flags.durationMs ?? 1000 };
  },
  validate(c, run) {
    const p: ConfigProblem[] = [];
    check.positiveInt(c.waves, ['waves'], p);
    if (c.waves > run.devices) p.push({ path: ['waves'], message: `more waves than devices (${run.devices})` });
    return p;
  },
  schedule: (c, run) => ({
    kind: 'open',
    total: run.devices,
    spanMs: (c.waves - 1) * c.gapMs,
    *offsets() {
      for (let k = 0; k < run.devices; k++) yield Math.floor((k * c.waves) / run.devices) * c.gapMs;
    },
  }),
  shard: (c) => c,
  peakConnections: (_c, run) => run.devices,
  reuseDevices: () => false,
  describe: (c) => `${c.waves} bursts ${c.gapMs} ms apart`,
};

registerExecutor(burst);

describe('an executor is a plug-in', () => {
  it('is in the scenario schema, checked with positions, and refused flags name themselves', () => {
    expect(executorNames()).toContain('burst');
    expect(schemaFileText()).toContain('"const": "burst"');
    const bad = (): unknown => parseScenario('load: { executor: burst, wave: 2 }\n', 'b.yaml');
    expect(bad).toThrow(InputErrors);
    expect(() => bad()).toThrow(/b\.yaml:1:\d+: load\.executor: burst needs load\.waves \(how many bursts\)/);
    expect(() => bad()).toThrow(/b\.yaml:1:\d+: load\.wave: unknown key "wave" — did you mean "waves"\?/);
    // a problem the file alone shows is found when the file is read; one the flags cause, when they are applied
    expect(() => parseScenario('devices: { count: 3 }\nload: { executor: burst, waves: 5 }\n', 'b.yaml')).toThrow(
      /b\.yaml:2:33: load\.waves: more waves than devices \(3\)/,
    );
    const settings = parseScenario('devices: { count: 10 }\nload: { executor: burst, waves: 5 }\n', 'b.yaml');
    expect(() => runConfigFromFlags(parseRunArgs(['b.yaml', '--devices', '3']).parsed, false, settings)).toThrow(
      /b\.yaml:2:33: load\.waves: more waves than devices \(3\)/,
    );
    expect(() => runConfigFromFlags(parseRunArgs(['--executor', 'burst', '--rate', '5/s']).parsed, false)).toThrow(
      /--rate: does not apply to the burst executor/,
    );
  });

  it('runs end to end against the embedded broker from a scenario', async () => {
    const settings = parseScenario(
      'name: bursts\ndevices: { count: 60 }\nload: { executor: burst, waves: 3, gap: 300ms, hold: 0s }\n',
      'bursts.yaml',
    );
    const config = runConfigFromFlags(parseRunArgs(['bursts.yaml', '--quiet']).parsed, false, settings);
    const { summary, exitCode } = await runHerd(config);
    expect(summary.run.executor).toBe('burst');
    expect(summary.counts.attempted).toBe(60);
    expect(summary.counts.connected).toBe(60);
    expect(summary.counts.failed).toBe(0);
    expect(summary.latency.connect.count).toBe(60);
    expect(exitCode).toBe(0);
  });
});

describe('scenario.schema.json', () => {
  it('is the schema the code checks scenarios with (regenerate it with npm run schema)', async () => {
    // the built-in executors only: this file's own executor is not part of the shipped schema
    const { schemaFileText: shipped } = await import('../../src/scenario/schema.js');
    const file = readFileSync(join(import.meta.dirname, '..', '..', 'scenario.schema.json'), 'utf8');
    const parsed = JSON.parse(shipped()) as {
      properties: { load: { oneOf: { properties: { executor: { const: string } } }[] } };
    };
    parsed.properties.load.oneOf = parsed.properties.load.oneOf.filter((b) => b.properties.executor.const !== 'burst');
    expect(file).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
  });
});
