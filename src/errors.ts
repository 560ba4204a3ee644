/**
 * Error classes with stable `code` strings and the exit code each one maps to.
 * Everything a user can cause is a HerdError with exit code 2; the CLI prints its
 * message (never a stack trace). Anything else that escapes is a bug (exit 1).
 */

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  inconclusive: 97,
  insecure: 98,
  thresholdFailed: 99,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class HerdError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode = ExitCode.usage, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HerdError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A flag or argument is wrong. `flag` is named in the message. */
export class UsageError extends HerdError {
  constructor(
    message: string,
    readonly flag?: string,
  ) {
    super('HERD_USAGE', flag ? `${flag}: ${message}` : message);
    this.name = 'UsageError';
  }
}

/** A position in an input file, 1-based. */
export interface SourcePosition {
  file: string;
  line?: number;
  column?: number;
}

function formatPosition(pos: SourcePosition): string {
  if (pos.line === undefined) return pos.file;
  return `${pos.file}:${pos.line}${pos.column === undefined ? '' : `:${pos.column}`}`;
}

/** An input file (scenario, certificate, key, store, summary) is missing, unreadable or wrong. */
export class InputError extends HerdError {
  readonly position: SourcePosition;
  constructor(position: SourcePosition, message: string, options?: { cause?: unknown }) {
    super('HERD_INPUT', `${formatPosition(position)}: ${message}`, ExitCode.usage, options);
    this.name = 'InputError';
    this.position = position;
  }
}

/** Several input problems reported at once (e.g. every error in a scenario). */
export class InputErrors extends HerdError {
  constructor(readonly errors: readonly InputError[]) {
    super('HERD_INPUT', errors.map((e) => e.message).join('\n'));
    this.name = 'InputErrors';
  }
}

/** The plan cannot run on this machine (fd limit, ports, memory); says what to change. */
export class PlanError extends HerdError {
  constructor(message: string) {
    super('HERD_PLAN', message);
    this.name = 'PlanError';
  }
}

/** A file would be overwritten without --force. */
export class ExistsError extends HerdError {
  constructor(path: string) {
    super('HERD_EXISTS', `${path}: already exists (use --force to overwrite)`);
    this.name = 'ExistsError';
  }
}

export function isHerdError(e: unknown): e is HerdError {
  return e instanceof HerdError;
}
