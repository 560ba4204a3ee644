import { HerdError, ExitCode } from '../errors.js';

export async function runCommand(_argv: string[]): Promise<number> {
  throw new HerdError('HERD_NOT_BUILT', 'herd run: not built yet', ExitCode.internal);
}
