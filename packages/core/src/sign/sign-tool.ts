import { CompactSign } from 'jose';
import { sha256Base64url } from '../canonical/canonicalize.js';
import { EtdiError } from '../errors/etdi-error.js';
import { importSigningKey } from '../keys/import-key.js';
import type { PrivateJwk, SigningKey } from '../keys/types.js';
import { withSignature } from '../tool/signed-content.js';
import type { SignedTool, Tool } from '../tool/types.js';
import { validateTool, type ToolLimits } from '../tool/validate-tool.js';
import { durationOption, epochSeconds, type TimeInput } from '../util/duration.js';
import {
  assertProviderId,
  isSemanticVersion,
  normalizePerms,
  TOOL_JWS_TYPE,
  type ToolClaims,
} from './claims.js';

export interface SignToolOptions {
  /** The signing key: imported, or a private JWK / PKCS#8 PEM to import. */
  key: SigningKey | PrivateJwk | string;
  /** Provider id; defaults to the key's `iss`. A key bound to another provider is refused. */
  iss?: string;
  /** Semantic version of this definition. */
  ver: string;
  /** OAuth scopes a caller needs to call the tool. Default none. */
  perms?: readonly string[];
  /**
   * Lifetime, a duration such as `90d`. Default: no `exp`.
   *
   * A number of seconds here is deprecated (use `expiresInSec`) and is refused once `etdi sign`
   * has moved to `expiresInSec`.
   */
  expiresIn?: string | number;
  /** Lifetime in seconds. */
  expiresInSec?: number;
  /** Not valid before: an absolute time, or a delay from now as a duration such as `1d`. */
  notBefore?: Date | string;
  /** Not valid before: a delay from now in seconds. */
  notBeforeSec?: number;
  /** Signing time (`iat`). Default now. */
  now?: TimeInput;
  /** Optional unique id of this signature. */
  jti?: string;
  /** Validation limits. Signing compiles the tool's JSON Schemas (`schemaCheck: 'compile'`). */
  limits?: ToolLimits;
}

async function resolveKey(key: SignToolOptions['key']): Promise<SigningKey> {
  if (typeof key === 'object' && key !== null && 'privateKey' in key) return key as SigningKey;
  return importSigningKey(key as PrivateJwk | string);
}

/**
 * Signs a tool definition (wire format v1): validates it, computes `dig` over the RFC 8785 form
 * of its signed content and returns the tool with `_meta["io.etdi/signature"]` set. Signing an
 * already-signed tool replaces the signature. The input is not modified.
 *
 * @example
 * const signed = await signTool(tool, { key, ver: '1.0.0', perms: ['files:read'] });
 */
export async function signTool<T extends Tool>(
  tool: T,
  options: SignToolOptions,
): Promise<T & SignedTool> {
  const key = await resolveKey(options.key);
  const iss = options.iss ?? key.iss;
  if (iss === undefined) {
    throw new EtdiError(
      'invalid-argument',
      'No provider id: pass "iss" or use a key bound to a provider (etdi keygen --iss)',
    );
  }
  assertProviderId(iss);
  if (key.iss !== undefined && key.iss !== iss) {
    throw new EtdiError(
      'key-provider-mismatch',
      `Key ${key.kid} is bound to provider ${JSON.stringify(key.iss)}; it cannot sign for ${JSON.stringify(iss)}`,
    );
  }
  if (!isSemanticVersion(options.ver)) {
    throw new EtdiError(
      'invalid-version',
      `Version ${JSON.stringify(options.ver)} is not a semantic version (e.g. 1.2.0)`,
    );
  }
  const { canonical } = validateTool(tool, { schemaCheck: 'compile', ...options.limits });
  const iat = epochSeconds(options.now);
  const claims: ToolClaims = {
    iss,
    sub: tool.name,
    ver: options.ver,
    dig: sha256Base64url(canonical),
    perms: normalizePerms(options.perms ?? []),
    iat,
  };
  const lifetime = durationOption(options, 'expiresIn', { legacySeconds: true });
  if (lifetime !== undefined) claims.exp = iat + lifetime;
  if (options.notBefore instanceof Date) {
    if (options.notBeforeSec !== undefined) {
      throw new EtdiError('invalid-argument', 'Give "notBefore" or "notBeforeSec", not both');
    }
    claims.nbf = epochSeconds(options.notBefore);
  } else {
    const delay = durationOption(options, 'notBefore');
    if (delay !== undefined) claims.nbf = iat + delay;
  }
  if (options.jti !== undefined) claims.jti = options.jti;
  for (const m of ['exp', 'nbf'] as const) {
    const v = claims[m];
    if (v !== undefined && !Number.isSafeInteger(v)) {
      throw new EtdiError('invalid-argument', `"${m}" would be ${v}, not a usable NumericDate`);
    }
  }
  const jws = await new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: TOOL_JWS_TYPE })
    .sign(key.privateKey);
  return withSignature(tool, jws);
}
