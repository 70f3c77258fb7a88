// @etdi/cli: the `etdi` command line. bin.ts is the executable; this is the library behind it,
// for tests and for tools that embed the commands.

export { runCli } from './run-cli.js';
export { processIo, type CliIo, type CliOutput } from './io.js';
export {
  CliError,
  CLI_ERROR_CODES,
  isCliErrorCode,
  ExitCode,
  type CliErrorCode,
  type CliErrorOptions,
} from './errors.js';
export { keygen, PRIVATE_KEY_FILE, JWKS_FILE, type KeygenOptions } from './commands/keygen.js';
export { sign, type SignOptions } from './commands/sign.js';
export { verify, type VerifyCommandOptions } from './commands/verify.js';
export {
  VERIFY_FORMATS,
  type VerifyFormat,
  type VerifyJsonOutput,
  type VerifyJsonResult,
} from './report/verify-report.js';
export {
  verifyAttested,
  findSignedCopies,
  SignedToolIndex,
  type SignedCopySource,
  type AttestOptions,
  type AttestedMatch,
  type AttestedResult,
} from './attested.js';
export { REASON_HELP, type ReasonHelp } from './reasons.js';
export { canonicalizeFile, type CanonicalizeOptions } from './commands/canonicalize.js';
export { OUTPUT_FORMATS, type OutputFormat } from './format.js';
