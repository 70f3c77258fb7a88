// @etdi/core: canonical form, digests, keys, JWKS, sign, verify, reason codes, revocation list,
// pin store. No HTTP. Every export is named; see docs/wire-format.md for the contract.
export { REASON_CODES, isReasonCode, type ReasonCode } from './reason-codes.js';
export { EtdiError, pointerToken, type EtdiErrorCode } from './errors.js';
export {
  canonicalize,
  canonicalBytes,
  assertCanonicalizable,
  sha256Base64url,
  DEFAULT_MAX_DEPTH,
  type CanonicalizeOptions,
} from './canonical/canonicalize.js';
export { maskSecret } from './util/mask-secret.js';
