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
export { scan, type ScanOptions } from './commands/scan.js';
export {
  inspect,
  relativeTime,
  type InspectOptions,
  type InspectJsonTool,
  type InspectDate,
} from './commands/inspect.js';
export {
  diffTools,
  type DiffOptions,
  type DiffClass,
  type DiffSide,
  type DiffChange,
  type DiffJsonTool,
  type DiffJsonOutput,
} from './commands/diff.js';
export { certsInit, CERT_FILES, type CertsInitOptions } from './commands/certs-init.js';
export {
  createDevCertificates,
  type DevCertificates,
  type DevCertificateOptions,
  type PemPair,
} from './dev-certificates.js';
export { providerCreate, type ProviderCreateOptions } from './commands/registry/provider-create.js';
export { apiKeyCreate, type ApiKeyCreateOptions } from './commands/registry/api-key-create.js';
export { keysPush, type KeysPushOptions } from './commands/registry/keys-push.js';
export { keysSetStatus, type KeysStatusOptions } from './commands/registry/keys-status.js';
export { publish, type PublishOptions } from './commands/registry/publish.js';
export { revoke, type RevokeOptions } from './commands/registry/revoke.js';
export { fetchTool, type FetchOptions } from './commands/registry/fetch.js';
export {
  RegistryClient,
  type RegistryInfo,
  type RegistryOptions,
  type Problem,
} from './registry-client.js';
export { SIDECAR_FILE, SidecarSchema, type Sidecar } from './sidecar.js';
export { PinsFileSchema, type PinsFile } from './pins-file.js';
export { type TrustFlags } from './trust-context.js';
export { OUTPUT_FORMATS, type OutputFormat } from './format.js';
