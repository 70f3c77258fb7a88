/**
 * Exit codes of every `etdi` command. Scripts branch on them, so they never change meaning.
 */
export const ExitCode = {
  /** Success; for `verify`, every tool is valid. */
  ok: 0,
  /** Something was rejected (`verify` found a tool that failed a check). */
  rejected: 1,
  /** Usage or configuration error: nothing was verified or written. */
  usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Codes of {@link CliError}. Every one of them ends the command with exit code 2: they are
 * problems with what the user asked for, never verdicts about tools.
 */
export type CliErrorCode =
  | 'usage'
  | 'unreadable-file'
  | 'invalid-json'
  | 'invalid-input'
  | 'invalid-key'
  | 'invalid-jwks'
  | 'key-provider-mismatch'
  | 'invalid-version'
  | 'not-canonicalizable'
  | 'file-exists'
  | 'write-failed';

/**
 * The one error class of `@etdi/cli`. `message` says what was wrong, `hint` how to fix it; both
 * go to stderr. Neither ever carries private key material.
 *
 * @example
 * throw new CliError('file-exists', 'keys/private.jwk already exists', {
 *   hint: 'Pass --force to replace it',
 * });
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  readonly hint: string | undefined;

  constructor(code: CliErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options?.hint;
  }
}
