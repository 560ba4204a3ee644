import { HerdError, ExitCode } from '../errors.js';

export async function pkiCommand(_argv: string[]): Promise<number> {
  throw new HerdError('HERD_NOT_BUILT', 'herd pki: not built yet', ExitCode.internal);
}
