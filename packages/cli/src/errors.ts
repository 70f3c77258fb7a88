import { CodedError, codeGuard, defineCodes, type CodedErrorOptions } from '@etdi/core';

/**
 * Exit codes of every `etdi` command. Scripts branch on them, so they never change meaning.
 */
export const ExitCode = {
  /** Success; for `verify`, every tool is valid. */
  ok: 0,
  /** Something was rejected (`verify` found a tool that failed a check, `diff` a rug pull). */
  rejected: 1,
  /** Usage or configuration error: nothing was verified or written. */
  usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Codes of {@link CliError}. Every one of them ends the command with exit code 2: they are
 * problems with what the user asked for or with reaching a server, never verdicts about tools.
 */
export const CLI_ERROR_CODES = defineCodes([
  'usage',
  'unreadable-file',
  'invalid-json',
  'invalid-input',
  'invalid-key',
  'invalid-jwks',
  'invalid-config',
  'invalid-revocation-list',
  'key-provider-mismatch',
  'invalid-version',
  'not-canonicalizable',
  'file-exists',
  'write-failed',
  'unreachable',
  'access-denied',
  'server-error',
  'internal-error',
]);
/** One code of {@link CLI_ERROR_CODES}. */
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];
/** Type guard for {@link CliErrorCode}. */
export const isCliErrorCode = codeGuard(CLI_ERROR_CODES);

/** Options of {@link CliError}: the family's `cause` and `pointer`, plus a `hint`. */
export interface CliErrorOptions extends CodedErrorOptions {
  /** How to fix it; printed on a `hint:` line. */
  readonly hint?: string | undefined;
}

/**
 * The one error class of `@etdi/cli`. `message` says what was wrong, `hint` how to fix it; both
 * go to stderr. Neither ever carries private key material or an API key.
 *
 * @example
 * throw new CliError('file-exists', 'keys/private.jwk already exists', {
 *   hint: 'Pass --force to replace it',
 * });
 */
export class CliError extends CodedError<CliErrorCode> {
  override readonly name = 'CliError';
  readonly hint: string | undefined;

  constructor(code: CliErrorCode, message: string, options?: CliErrorOptions) {
    super(code, message, options);
    this.hint = options?.hint;
  }
}
