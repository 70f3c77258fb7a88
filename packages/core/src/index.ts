// @etdi/core: canonical form, digests, keys, JWKS, sign, verify, reason codes, revocation list,
// pin store. No HTTP. Every export is named; docs/wire-format.md is the contract.

export { REASON_CODES, isReasonCode, type ReasonCode } from './reason-codes.js';
export {
  EtdiError,
  ETDI_ERROR_CODES,
  isEtdiErrorCode,
  pointerToken,
  type EtdiErrorCode,
} from './errors/etdi-error.js';

// The family's shared vocabulary: one error base, one logger contract, one ajv factory, scopes.
export {
  CodedError,
  defineCodes,
  codeGuard,
  errorMessage,
  type CodedErrorOptions,
} from './errors/coded-error.js';
export {
  silentLogger,
  createConsoleLogger,
  redactLogFields,
  redactingLogger,
  type Logger,
  type LogFields,
  type LogLevel,
  type ConsoleLoggerOptions,
} from './logger.js';
export {
  createAjv,
  compileSchema,
  schemaIssues,
  formatIssues,
  type SchemaIssue,
} from './schema/compile-schema.js';
export { resolveEnvReferences } from './schema/env-references.js';
export { isScopeToken, parseScope, missingScopes } from './scopes.js';

// Canonical form and digests
export {
  canonicalize,
  canonicalBytes,
  assertCanonicalizable,
  sha256Base64url,
  DEFAULT_MAX_DEPTH,
  type CanonicalizeOptions,
} from './canonical/canonicalize.js';

// Tools
export {
  SIGNATURE_META_KEY,
  type Tool,
  type SignedTool,
  type ToolList,
  type ToolSchema,
  type ToolAnnotations,
  type ToolIcon,
} from './tool/types.js';
export { signedContent, signatureOf, withSignature } from './tool/signed-content.js';
export {
  validateTool,
  assertTool,
  canonicalizeTool,
  checkToolSchema,
  DEFAULT_TOOL_LIMITS,
  type ToolLimits,
  type ValidatedTool,
} from './tool/validate-tool.js';
export { toolDigest } from './tool/tool-digest.js';
export { McpToolSchema, SignedToolSchema } from './tool/tool-schema.js';

// Keys
export {
  SIGNING_ALGORITHMS,
  isSigningAlgorithm,
  algorithmOfKey,
  MIN_RSA_BITS,
  type SigningAlgorithm,
} from './keys/algorithms.js';
export type {
  PublicJwk,
  PrivateJwk,
  TrustJwk,
  TrustJwks,
  KeyStatus,
  SigningKey,
} from './keys/types.js';
export { jwkThumbprint } from './keys/thumbprint.js';
export {
  generateKeyPair,
  type GenerateKeyPairOptions,
  type GeneratedKeyPair,
} from './keys/generate-key-pair.js';
export {
  importSigningKey,
  importVerificationKey,
  toPublicJwk,
  type VerificationKey,
} from './keys/import-key.js';
export { privateJwkToPem, publicJwkToPem } from './keys/pem.js';
export { ed25519JwkFromSeed } from './keys/ed25519-seed.js';
export { buildTrustJwks, type TrustJwkInput } from './keys/build-trust-jwks.js';

// Trust
export { TrustStore, type TrustedKey, type AddJwksOptions } from './trust/trust-store.js';
export { TrustJwksSchema, TrustJwkSchema, RFC3339_DATE_TIME } from './trust/trust-jwks-schema.js';

// Sign
export {
  TOOL_JWS_TYPE,
  normalizePerms,
  isSemanticVersion,
  assertProviderId,
  type ToolClaims,
} from './sign/claims.js';
export { signTool, type SignToolOptions } from './sign/sign-tool.js';

// Attested signatures: signed copies of unsigned tools
export {
  SignedCopyIndex,
  readSignedCopy,
  statedClaims,
  toolsOfDocument,
  type SignedCopy,
} from './attested/signed-copies.js';

// Verify
export { Verifier } from './verify/verifier.js';
export { verifyTool, verifyTools } from './verify/verify-tool.js';
export {
  parseCompactJws,
  MAX_JWS_LENGTH,
  MAX_HEADER_LENGTH,
  type ParsedJws,
} from './verify/parse-jws.js';
export type {
  VerifyOptions,
  VerifierUpdate,
  VerifierCacheStats,
  CacheCounters,
  VerifyResult,
  VerifiedTool,
  RejectedTool,
  VerifyToolsResult,
  ToolListInput,
} from './verify/types.js';

// Revocation
export {
  RevocationList,
  signRevocationList,
  verifyRevocationList,
  REVOCATION_LIST_TYPE,
  type RevocationEntry,
  type RevocationListClaims,
  type RevocationSubject,
  type SignRevocationListOptions,
  type VerifyRevocationListOptions,
} from './revocation/revocation-list.js';

// Pins
export { pinKey, type Pin, type PinId, type PinStore } from './pins/pin-store.js';
export { MemoryPinStore } from './pins/memory-pin-store.js';
export { checkPin, type PinCheck, type PinSubject } from './pins/check-pin.js';

// Utilities
export { maskSecret } from './util/mask-secret.js';
export { parseDuration, epochSeconds, type TimeInput } from './util/duration.js';
export { findDuplicateMember } from './util/json-duplicates.js';
export {
  inspectServerUrl,
  isLoopbackHost,
  type ServerUrlOptions,
  type ServerUrlProblem,
} from './util/server-url.js';
export { formUrlEncode, basicClientAuthorization } from './util/client-credentials.js';
export { pemCertificates } from './util/pem.js';
