/** Runs the built `herd` command as a user would (tests need `npm run build` first). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../../src/model/summary.js';
import { countProblems } from '../../src/judge/invariants.js';

export const HERD = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export interface HerdResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `group`: herd leads a process group of its own, so a test can signal it like a terminal's Ctrl-C does. */
export function spawnHerd(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  group = false,
): { proc: ChildProcess; done: Promise<HerdResult> } {
  const proc = spawn(process.execPath, [HERD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    detached: group,
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<HerdResult>((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { proc, done };
}

/** Runs herd to completion, killing it (by its pid) if it outlives `timeoutMs`. */
export async function herd(args: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<HerdResult> {
  const { proc, done } = spawnHerd(args, env);
  const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(t);
  }
}

/**
 * A run's summary.json, checked: its counts must add up (judge/invariants.ts) in every
 * test that reads one, whatever the test is about.
 */
export function readSummaryFile(dir: string): Summary {
  return readSummaryAt(join(dir, 'summary.json'));
}

/** A summary file (a run's, a shard's, a merge's), its counts checked like readSummaryFile's. */
export function readSummaryAt(file: string): Summary {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Summary;
  const problems = countProblems(s);
  if (problems.length > 0) throw new Error(`${file}: the counts do not add up: ${problems.join('; ')}`);
  return s;
}

export function failureCount(s: Summary, reason: string): number {
  return s.failures.filter((f) => f.reason === reason).reduce((a, f) => a + f.count, 0);
}

/** A CA and a broker certificate for localhost / 127.0.0.1 made with `herd pki`: the files mosquitto takes. */
export async function herdPki(pki: string): Promise<{ cafile: string; certfile: string; keyfile: string }> {
  for (const args of [
    ['pki', 'ca', '--out', pki],
    ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
  ]) {
    const r = await herd(args);
    if (r.code !== 0) throw new Error(`herd ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  }
  return { cafile: join(pki, 'ca.crt'), certfile: join(pki, 'server.crt'), keyfile: join(pki, 'server.key') };
}
