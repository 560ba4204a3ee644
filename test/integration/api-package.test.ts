import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
let scripts = 0;

/**
 * Runs an ES module script that lives inside the package (test-artifacts/), so `mqtt-herd`
 * resolves to the built package itself, as it does for a user who installed it.
 */
function node(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = join(ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `api-${process.pid}-${++scripts}.mjs`);
  writeFileSync(file, script);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The public surface, deliberately: a name added or removed here is a change of the API. */
const API = [
  'CapacityRun',
  'DEFAULT_SLO',
  'ExitCode',
  'FAILURE_PHASES',
  'FAILURE_REASONS',
  'FAULTS',
  'HerdError',
  'InputError',
  'InputErrors',
  'KEY_TYPES',
  'METRIC',
  'PHASES',
  'PlanError',
  'UsageError',
  'compareRuns',
  'createCa',
  'executorNames',
  'explainReason',
  'exportDevice',
  'isHerdError',
  'issueDevice',
  'issueServer',
  'loadCa',
  'loadRuns',
  'loadScenario',
  'mergeSummaries',
  'mintStore',
  'openStore',
  'parseFaults',
  'parseScenario',
  'parseSummary',
  'progressLine',
  'readSummary',
  'registerExecutor',
  'renderCompareHtml',
  'renderComparison',
  'renderHtmlReport',
  'renderJUnit',
  'renderSummary',
  'runConfigFromArgs',
  'runHerd',
  'startBroker',
  'summaryToJson',
  'writeCompareHtml',
  'writeCrl',
  'writeHtmlReport',
  'writeRunOutputs',
];

describe('the public API, imported from the built package', () => {
  it('exports exactly the designed names, with type declarations', async () => {
    expect(existsSync(join(ROOT, 'dist', 'src', 'index.d.ts'))).toBe(true);
    const r = await node("const m = await import('mqtt-herd'); console.log(JSON.stringify(Object.keys(m).sort()));");
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([...API].sort());
  });

  it('runs a herd against the embedded broker and returns its summary', async () => {
    const r = await node(`
      import { runConfigFromArgs, runHerd, ExitCode } from 'mqtt-herd';
      const { summary, exitCode } = await runHerd(runConfigFromArgs(['--devices', '30', '--rate', '300/s', '--hold', '0s', '--quiet']));
      console.log(JSON.stringify({ counts: summary.counts, verdict: summary.verdict, ok: exitCode === ExitCode.ok || exitCode === ExitCode.inconclusive }));
    `);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { counts: { attempted: number; connected: number }; ok: boolean };
    expect(out.counts.attempted).toBe(30);
    expect(out.counts.connected).toBe(30);
    expect(out.ok).toBe(true);
  });

  it('runs from a script given with node -e too (the worker threads and child processes do not inherit -e)', async () => {
    const script =
      "import { runConfigFromArgs, runHerd } from 'mqtt-herd';" +
      "const { summary } = await runHerd(runConfigFromArgs(['--devices', '10', '--rate', '200/s', '--hold', '0s', '--quiet']));" +
      'console.log(summary.counts.connected);';
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.once('close', (code) => resolve({ code, stdout }));
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('10');
  });

  it('turns bad input into a HerdError with exit code 2, not a crash', async () => {
    const r = await node(`
      import { runConfigFromArgs, isHerdError } from 'mqtt-herd';
      try { runConfigFromArgs(['--rate', 'fast']); } catch (e) { console.log(JSON.stringify({ herd: isHerdError(e), exit: e.exitCode, message: e.message })); }
    `);
    const out = JSON.parse(r.stdout) as { herd: boolean; exit: number; message: string };
    expect(out).toMatchObject({ herd: true, exit: 2 });
    expect(out.message).toMatch(/^--rate: /);
  });
});
