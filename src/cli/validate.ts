/** `herd validate SCENARIO.yaml...`: check scenarios without running them (exit 2 on any problem). */
import { UsageError, isHerdError, ExitCode } from '../errors.js';
import { parse, bool } from './args.js';
import { loadScenario } from '../scenario/load.js';
import { runConfigFromFlags } from './run-flags.js';
import { streamOf } from '../traffic/registry.js';

export function validateCommand(argv: string[]): Promise<number> {
  const p = parse(argv, { help: { type: 'boolean', short: 'h' } }, true);
  if (bool(p, 'help') || p.positionals.length === 0) {
    if (!bool(p, 'help')) throw new UsageError('expected one or more scenario files: herd validate SCENARIO.yaml...');
    process.stdout.write(
      'herd validate SCENARIO.yaml...   check scenarios (schema, units, thresholds) without running them\n',
    );
    return Promise.resolve(ExitCode.ok);
  }
  let code: number = ExitCode.ok;
  for (const file of p.positionals) {
    try {
      const settings = loadScenario(file);
      // resolve it the way `herd run` would, so cross-field problems show here too
      const c = runConfigFromFlags(parse([], {}, true), false, settings);
      const faults = Object.entries(c.faults)
        .map(([k, v]) => `${k} ${(v * 100).toFixed(2)}%`)
        .join(', ');
      const traffic = c.traffic.map((t) => streamOf(t).describe(t)).join('; ');
      process.stdout.write(
        `${file}: ok — ${c.scenario}: ${c.devices} devices, ${c.load.executor}, MQTT ${c.mqtt.version === 5 ? '5' : '3.1.1'}` +
          `${faults ? `, faults ${faults}` : ''}, ${Object.values(c.thresholds).flat().length} threshold(s)` +
          `${traffic ? `; traffic: ${traffic}` : ''}\n`,
      );
    } catch (e) {
      if (!isHerdError(e)) throw e;
      process.stderr.write(`${e.message}\n`);
      code = e.exitCode;
    }
  }
  return Promise.resolve(code);
}
