import { HerdError, ExitCode } from '../errors.js';

export async function brokerCommand(_argv: string[]): Promise<number> {
  throw new HerdError('HERD_NOT_BUILT', 'herd broker: not built yet', ExitCode.internal);
}
