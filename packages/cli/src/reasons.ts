import type { ReasonCode } from '@etdi/core';

/** What a reason code means and what to do about it: SARIF rule help and `inspect` notes. */
export interface ReasonHelp {
  /** One line: what was found. */
  readonly summary: string;
  /** What it means and how to fix it. */
  readonly help: string;
}

/** One entry per reason code of DESIGN.md, in check order (the type keeps it complete). */
export const REASON_HELP: { readonly [R in ReasonCode]: ReasonHelp } = {
  malformed: {
    summary: 'The tool or its signature is not well formed.',
    help: 'The definition is not a valid MCP tool object, two tools share a name, or the signature is not a compact JWS of the ETDI form. Fix the JSON at the reported pointer, then sign again.',
  },
  'schema-invalid': {
    summary: 'The tool is not a valid MCP Tool, or its inputSchema is not a valid JSON Schema.',
    help: 'Fix the definition at the reported JSON pointer (a missing name, a schema that does not compile) and sign it again.',
  },
  unsigned: {
    summary: 'The tool carries no ETDI signature and no trusted signed copy matches it.',
    help: 'Sign the definition with `etdi sign`, or, for a third-party server, review its tool list (`etdi scan --out`), sign it and pass the signed copies with --signed-tools and --provider (or publish them to the registry).',
  },
  'alg-not-allowed': {
    summary: "The signature uses an algorithm that is not allowed, or not the key's algorithm.",
    help: 'Only EdDSA, ES256 and PS256 are accepted, and each key signs with its own algorithm. Sign again with a key made by `etdi keygen`.',
  },
  'unknown-key': {
    summary: "No trusted key has the signature's key id.",
    help: "Add the signer's trust JWKS (--jwks) or the registry (--registry); if the key is unknown to you, do not trust the tool.",
  },
  'key-provider-mismatch': {
    summary: 'The signing key is not bound to the provider the tool claims (squatting).',
    help: 'A key signs only for the provider in its JWKS "iss". Someone signed for a namespace they do not own, or the trust JWKS lacks the binding. Never accept such a tool.',
  },
  'key-revoked': {
    summary: 'The signing key was revoked, or signed outside its validity window.',
    help: 'The provider revoked or retired this key. Have the tool signed again with a current key.',
  },
  'bad-signature': {
    summary: 'The signature does not verify with the trusted key.',
    help: 'The signature or its protected content was altered. Do not use the tool; obtain the definition from its provider again.',
  },
  'digest-mismatch': {
    summary: "The tool's content differs from what was signed (tampering).",
    help: 'The description, schema or annotations changed after signing, or the server serves something other than the signed copy. Review the change (`etdi diff`); if it is intended, the provider must sign a new version.',
  },
  'name-mismatch': {
    summary: 'The signature is for another tool name.',
    help: 'A signature was moved onto a tool with another name. Sign the tool under its own name.',
  },
  'not-yet-valid': {
    summary: 'The signature is not valid yet (nbf or iat in the future).',
    help: "Check the signer's and this machine's clocks, or wait until the signature's start date.",
  },
  expired: {
    summary: 'The signature has expired.',
    help: 'The provider must sign the definition again (`etdi sign --expires` sets the lifetime).',
  },
  stale: {
    summary: 'The signature, or the revocation list, is older than allowed.',
    help: 'The signature was issued before the --max-age window, or the revocation list is past its exp. Sign again, or refresh the revocation list from the registry.',
  },
  revoked: {
    summary: 'The definition, tool or key is on the revocation list.',
    help: 'The provider or the registry revoked it. Stop using this definition; fetch a current version.',
  },
  'rug-pull': {
    summary: 'Same version as the approved one, but other content or permissions.',
    help: 'A definition (iss, name, ver) never changes. The provider changed the tool without a new version: treat it as an attack until explained.',
  },
  rollback: {
    summary: 'An older version than the one already approved.',
    help: 'Someone is serving an earlier definition (possibly with a known flaw). Serve the approved version or newer.',
  },
  'reapproval-required': {
    summary: 'A newer version widens permissions, or the tool is not approved yet.',
    help: 'Review the added scopes and approve the new version (update the pins file with --update-pins after review).',
  },
};
