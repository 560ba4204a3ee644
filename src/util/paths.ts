/** Where the package's files are, whether running from dist/ or from src/ under a test runner. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scenario.schema.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('mqtt-herd: package root not found');
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot();

/** The compiled worker entry `workers/<name>.ts` (always run from dist/: `npm run build`). */
export function workerFile(name: string): string {
  const f = join(PACKAGE_ROOT, 'dist', 'workers', `${name}.js`);
  if (!existsSync(f)) throw new Error(`worker ${f} is missing: run "npm run build" first`);
  return f;
}

/**
 * The Node options a child process of ours inherits: this process's, less the ones that
 * say what to run (`-e CODE`, `-p CODE`, `--input-type`), which would run that again in the
 * child instead of its own entry file.
 */
export function childExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') i++;
    else if (!/^--(input-type|eval|print)=/.test(a)) out.push(a);
  }
  return out;
}
