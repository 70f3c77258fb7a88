import { errorMessage, missingScopes, parseScope } from '@etdi/core';
import {
  createPublicKey,
  createSecretKey,
  KeyObject,
  type JsonWebKey,
  type webcrypto,
} from 'node:crypto';
import {
  decodeProtectedHeader,
  errors,
  jwtVerify,
  createLocalJWKSet,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
  type JWTVerifyResult,
} from 'jose';
import {
  BaseAuthProvider,
  validateWithSchema,
  type BaseProviderOptions,
  type SuccessInit,
} from '../base-provider.js';
import { PROVIDER_VALIDATORS, requiredKeysOf } from '../config/provider-schemas.js';
import type { AuthCredentials } from '../credentials.js';
import { AuthError } from '../errors.js';
import type { ConfigValidation } from '../provider.js';
import type { AuthResult } from '../result.js';
import type { AuthSession } from '../sessions/session-store.js';
import type { AuthMethod } from '../status.js';
import { EndpointMatcher } from '../util/endpoint-matcher.js';
import { secureUrl } from '../util/secure-url.js';
import type { JtiRevocationStore } from './jti-revocation-store.js';
import { RemoteJwks } from './remote-jwks.js';

/** JWS algorithms a JWT provider may allow. `none` is not one of them. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'HS256',
  'HS384',
  'HS512',
] as const;

/** One of {@link JWT_ALGORITHMS}. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Options of {@link JwtProvider}. Exactly one key source: `jwksUrl`, `jwks`, `publicKey` or `secret`. */
export interface JwtProviderOptions extends BaseProviderOptions {
  /**
   * The explicit allowlist; a token whose `alg` is not on it is refused before any key is
   * touched. HMAC (`HS*`) is only allowed with a `secret`, asymmetric algorithms only with
   * public keys: that rules out algorithm confusion by configuration.
   */
  algorithms: readonly JwtAlgorithm[];
  /** JWKS endpoint of the issuer; cached, refetched on an unknown `kid`, rate-bounded. */
  jwksUrl?: string | URL;
  /** A fixed JWKS. */
  jwks?: JSONWebKeySet;
  /** One public key: PEM (SPKI or certificate), a JWK, a `KeyObject` or a WebCrypto `CryptoKey`. */
  publicKey?: string | JWK | KeyObject | webcrypto.CryptoKey;
  /** HMAC secret for `HS*`; at least as many bytes as the hash (32 for HS256). */
  secret?: string | Uint8Array;
  /**
   * Accepted `iss` value(s). Required: keys are often shared by an issuer's tenants, or a JWKS
   * serves several issuers. `false` accepts any issuer, with a security warning at start-up.
   */
  issuer: string | readonly string[] | false;
  /**
   * Accepted `aud` value(s); the token must name one. Required: without it a token the same
   * issuer minted for any other service is accepted here. `false` accepts any audience, with a
   * security warning at start-up.
   */
  audience: string | readonly string[] | false;
  /** Refuse tokens without `exp` (they would never expire). Default true. */
  requireExp?: boolean;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 0. */
  clockToleranceSec?: number;
  /** Refuse tokens issued (`iat`) longer ago than this, in seconds. */
  maxTokenAgeSec?: number;
  /** Claims that must be present, e.g. `['jti', 'exp']`. */
  requiredClaims?: readonly string[];
  /** Expected `typ` header, e.g. `at+jwt` (RFC 9068). */
  typ?: string;
  /** Revoked `jti`s; a token whose `jti` is listed is refused. */
  revocations?: JtiRevocationStore;
  /** Claim naming the user. Default `sub`. */
  userClaim?: string;
  /** Claim naming the project, if any. */
  projectClaim?: string;
  /** Claim holding scopes: a space-separated string or an array. Default `scope`, then `scp`. */
  scopeClaim?: string;
  /** Claim holding roles (array). Default `roles`. */
  rolesClaim?: string;
  /**
   * Claim binding the token to endpoints (policy-bound tokens): an array of patterns like
   * `"/mcp"` or `"POST /tools/*"`. When the token carries it, a request elsewhere is refused.
   * Default `allowed_endpoints`.
   */
  endpointsClaim?: string;
  /** Scopes every token must hold. */
  requiredScopes?: readonly string[];
  /** Longest token accepted, in characters. Default 8192. */
  maxTokenLength?: number;
  /** JWKS cache: maximum age (default 10 min), cooldown between fetches (30 s), timeout (5 s). */
  jwksCacheMaxAgeMs?: number;
  jwksCooldownMs?: number;
  jwksTimeoutMs?: number;
  /** For the JWKS fetch. Default global `fetch`. */
  fetch?: typeof fetch;
  /** Accept an `http://` `jwksUrl` on a loopback host (tests, local development). Default false. */
  allowLoopbackHttp?: boolean;
  /** Method recorded in results. Default `jwt`. */
  method?: Extract<AuthMethod, 'jwt' | 'bearer-token' | 'oauth'>;
}

type KeySource = Parameters<typeof jwtVerify>[1];

const ALGORITHMS: ReadonlySet<string> = new Set(JWT_ALGORITHMS);
const HMAC_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

function keyFits(key: KeyObject, alg: string): boolean {
  const type = key.asymmetricKeyType;
  if (alg.startsWith('RS')) return type === 'rsa';
  if (alg.startsWith('PS')) return type === 'rsa' || type === 'rsa-pss';
  if (alg.startsWith('ES')) return type === 'ec';
  if (alg === 'EdDSA') return type === 'ed25519' || type === 'ed448';
  if (alg === 'Ed25519') return type === 'ed25519';
  return false;
}

function toPublicKey(key: string | JWK | KeyObject | webcrypto.CryptoKey): KeyObject {
  if (typeof key === 'string') return createPublicKey(key);
  if ('usages' in key && 'algorithm' in key) key = KeyObject.from(key as webcrypto.CryptoKey);
  if (key instanceof KeyObject) {
    if (key.type === 'secret') throw new TypeError('a secret key is not a public key');
    return key.type === 'private' ? createPublicKey(key) : key;
  }
  if (key.kty === 'oct') throw new TypeError('an "oct" JWK is not a public key');
  // Only the public members: a JWK that also holds "d" must not become a private key here.
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...publicJwk } = key;
  return createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' });
}

/** The accepted values of `issuer` or `audience`, or `undefined` for an explicit `false`. */
function acceptedValues(
  value: string | readonly string[] | false | undefined,
  key: 'issuer' | 'audience',
): string[] | undefined {
  if (value === false) return undefined;
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? [...value] : [];
  if (list.length === 0 || !list.every((v) => typeof v === 'string' && v.length > 0)) {
    throw new AuthError(
      'invalid-config',
      `JWT provider: "${key}" is required (the accepted value or values); set it to false to accept any ${key === 'issuer' ? 'issuer' : 'audience'}`,
      { pointer: `/${key}` },
    );
  }
  return list;
}

/**
 * JSON Web Tokens, verified with jose: keys from a JWKS URL (cached, rotated on unknown `kid`,
 * bounded refetch rate), a static JWKS, one public key, or an HMAC secret; `iss`, `aud`,
 * `exp`, `nbf` with clock tolerance, required claims, an explicit algorithm allowlist, a `jti`
 * revocation list, and policy-bound tokens whose allowed endpoints travel in a claim.
 *
 * A bearer token that is not shaped like a JWS (three base64url parts) is "not mine": a chain
 * hands it to the next provider (say, OAuth2 introspection for opaque tokens).
 *
 * @example
 * const jwt = new JwtProvider({
 *   jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
 *   algorithms: ['RS256', 'ES256'],
 *   issuer: 'https://idp.example.com/',
 *   audience: 'etdi-gateway',
 * });
 */
export class JwtProvider extends BaseAuthProvider {
  readonly version = '1.0.0';
  protected readonly method: AuthMethod;
  readonly #algorithms: string[];
  readonly #key: KeySource;
  readonly #remote: RemoteJwks | undefined;
  readonly #verifyOptions: Omit<JWTVerifyOptions, 'currentDate'>;
  readonly #revocations: JtiRevocationStore | undefined;
  readonly #userClaim: string;
  readonly #projectClaim: string | undefined;
  readonly #scopeClaim: string | undefined;
  readonly #rolesClaim: string;
  readonly #endpointsClaim: string;
  readonly #requiredScopes: readonly string[];
  readonly #maxTokenLength: number;
  readonly #clockToleranceMs: number;
  readonly #endpointMatchers = new Map<string, EndpointMatcher>();

  constructor(options: JwtProviderOptions) {
    super('jwt', options);
    this.method = options.method ?? 'jwt';
    const algorithms = [...(options.algorithms ?? [])];
    if (algorithms.length === 0) {
      throw new AuthError(
        'invalid-config',
        'JWT provider: "algorithms" must list at least one algorithm',
        {
          pointer: '/algorithms',
        },
      );
    }
    algorithms.forEach((alg, i) => {
      if (!ALGORITHMS.has(alg)) {
        throw new AuthError(
          'invalid-config',
          `JWT provider: /algorithms/${i}: "${alg}" is not allowed (one of ${JWT_ALGORITHMS.join(', ')})`,
          { pointer: `/algorithms/${i}` },
        );
      }
    });
    this.#algorithms = algorithms;
    const sources = (['jwksUrl', 'jwks', 'publicKey', 'secret'] as const).filter(
      (k) => options[k] !== undefined,
    );
    if (sources.length !== 1) {
      throw new AuthError(
        'invalid-config',
        `JWT provider: give exactly one of "jwksUrl", "jwks", "publicKey", "secret" (got ${sources.length === 0 ? 'none' : sources.join(', ')})`,
        { pointer: '' },
      );
    }
    const hmac = algorithms.filter((a) => a.startsWith('HS'));
    const asymmetric = algorithms.filter((a) => !a.startsWith('HS'));
    if (options.secret !== undefined) {
      if (asymmetric.length > 0) {
        throw new AuthError(
          'invalid-config',
          `JWT provider: a "secret" only verifies HS* algorithms; remove ${asymmetric.join(', ')}`,
          { pointer: '/algorithms' },
        );
      }
      const secret =
        typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
      for (const alg of hmac) {
        if (secret.byteLength < HMAC_BYTES[alg]!) {
          throw new AuthError(
            'invalid-config',
            `JWT provider: ${alg} needs a secret of at least ${HMAC_BYTES[alg]} bytes`,
            { pointer: '/secret' },
          );
        }
      }
      this.#key = createSecretKey(secret);
    } else {
      // The algorithm-confusion guard: HS* with a public key would let anyone who knows the
      // public key (everyone) forge tokens.
      if (hmac.length > 0) {
        throw new AuthError(
          'invalid-config',
          `JWT provider: ${hmac.join(', ')} need a "secret"; they are never allowed with public keys`,
          { pointer: '/algorithms' },
        );
      }
      if (options.publicKey !== undefined) {
        let key: KeyObject;
        try {
          key = toPublicKey(options.publicKey);
        } catch (cause) {
          throw new AuthError('invalid-config', 'JWT provider: "publicKey" is not a public key', {
            pointer: '/publicKey',
            cause,
          });
        }
        const unfit = algorithms.filter((alg) => !keyFits(key, alg));
        if (unfit.length > 0) {
          throw new AuthError(
            'invalid-config',
            `JWT provider: the ${key.asymmetricKeyType} public key cannot verify ${unfit.join(', ')}`,
            { pointer: '/algorithms' },
          );
        }
        this.#key = key;
      } else if (options.jwks !== undefined) {
        try {
          this.#key = createLocalJWKSet(options.jwks);
        } catch (cause) {
          throw new AuthError('invalid-config', 'JWT provider: "jwks" is not a JSON Web Key Set', {
            pointer: '/jwks',
            cause,
          });
        }
      } else {
        const url = secureUrl(options.jwksUrl!, {
          key: 'jwksUrl',
          owner: 'JWT provider',
          allowLoopbackHttp: options.allowLoopbackHttp ?? false,
        });
        this.#remote = new RemoteJwks({
          url,
          logger: this.logger,
          now: this.now,
          ...(options.jwksCacheMaxAgeMs === undefined
            ? {}
            : { cacheMaxAgeMs: options.jwksCacheMaxAgeMs }),
          ...(options.jwksCooldownMs === undefined ? {} : { cooldownMs: options.jwksCooldownMs }),
          ...(options.jwksTimeoutMs === undefined ? {} : { timeoutMs: options.jwksTimeoutMs }),
          ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        });
        this.#key = this.#remote.getKey;
      }
    }
    const issuer = acceptedValues(options.issuer, 'issuer');
    const audience = acceptedValues(options.audience, 'audience');
    for (const [key, values] of [
      ['issuer', issuer],
      ['audience', audience],
    ] as const) {
      if (values === undefined) {
        this.logger.warn(
          {
            provider: this.name,
            [key]: false,
          },
          `SECURITY: JWT provider accepts tokens of any ${key} (${key}: false)`,
        );
      }
    }
    const requiredClaims = [...(options.requiredClaims ?? [])];
    if ((options.requireExp ?? true) && !requiredClaims.includes('exp')) requiredClaims.push('exp');
    const clockTolerance = options.clockToleranceSec ?? 0;
    this.#clockToleranceMs = clockTolerance * 1000;
    this.#verifyOptions = {
      algorithms,
      ...(issuer === undefined ? {} : { issuer }),
      ...(audience === undefined ? {} : { audience }),
      clockTolerance,
      ...(options.maxTokenAgeSec === undefined ? {} : { maxTokenAge: options.maxTokenAgeSec }),
      ...(requiredClaims.length === 0 ? {} : { requiredClaims }),
      ...(options.typ === undefined ? {} : { typ: options.typ }),
    };
    this.#revocations = options.revocations;
    this.#userClaim = options.userClaim ?? 'sub';
    this.#projectClaim = options.projectClaim;
    this.#scopeClaim = options.scopeClaim;
    this.#rolesClaim = options.rolesClaim ?? 'roles';
    this.#endpointsClaim = options.endpointsClaim ?? 'allowed_endpoints';
    this.#requiredScopes = options.requiredScopes ?? [];
    this.#maxTokenLength = options.maxTokenLength ?? 8192;
  }

  supportedMethods(): readonly AuthMethod[] {
    return [this.method];
  }

  /** Checks a `jwt` configuration document (the JSON/YAML form). */
  validateConfig(config: unknown): ConfigValidation {
    return validateWithSchema(PROVIDER_VALIDATORS.jwt, config);
  }

  requiredConfigKeys(): readonly string[] {
    return requiredKeysOf('jwt');
  }

  /** Completed JWKS fetches, when keys come from a URL. */
  get jwksFetches(): number {
    return this.#remote?.fetches ?? 0;
  }

  /**
   * Revokes a token by its `jti` until its `exp` (`expiresAt`, epoch milliseconds) plus the clock
   * tolerance: the token is accepted that long past its `exp`, so it must stay revoked that long
   * too. Needs a revocation store.
   */
  async revoke(jti: string, expiresAt: number): Promise<void> {
    if (!this.#revocations) {
      throw new AuthError('invalid-argument', 'JWT provider has no revocation store');
    }
    await this.#revocations.revoke(jti, expiresAt + this.#clockToleranceMs);
  }

  async #verify(token: string): Promise<JWTVerifyResult> {
    const options: JWTVerifyOptions = Object.assign({}, this.#verifyOptions, {
      currentDate: new Date(this.now()),
    });
    try {
      return await jwtVerify(token, this.#key, options);
    } catch (error) {
      // Several keys fit a token without `kid`: try each, as a verifier holding the set would.
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
      let tried = 0;
      for await (const key of error as unknown as AsyncIterable<KeyObject>) {
        if (++tried > 10) break;
        try {
          return await jwtVerify(token, key, options);
        } catch (inner) {
          if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
        }
      }
      throw new errors.JWSSignatureVerificationFailed();
    }
  }

  #mapError(error: unknown): AuthResult {
    if (error instanceof errors.JWTExpired) {
      return this.failure(
        'expired',
        'token-expired',
        `JWT has expired (${error.claim} check failed)`,
      );
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      const { claim, reason } = error;
      if (reason === 'missing') {
        return this.failure(
          'invalid-credentials',
          'missing-claim',
          `JWT is missing the "${claim}" claim`,
        );
      }
      if (claim === 'nbf') {
        return this.failure(
          'invalid-credentials',
          'token-not-yet-valid',
          'JWT is not valid yet (nbf)',
        );
      }
      if (claim === 'iss' && reason === 'check_failed') {
        return this.failure(
          'invalid-credentials',
          'issuer-mismatch',
          'JWT issuer (iss) is not accepted',
        );
      }
      if (claim === 'aud' && reason === 'check_failed') {
        return this.failure(
          'invalid-credentials',
          'audience-mismatch',
          'JWT audience (aud) does not name this service',
        );
      }
      return this.failure(
        'invalid-credentials',
        'invalid-claim',
        `JWT claim "${claim}" is invalid: ${error.message}`,
      );
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return this.failure('invalid-credentials', 'alg-not-allowed', 'JWT algorithm is not allowed');
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return this.failure('invalid-credentials', 'bad-signature', 'JWT signature does not verify');
    }
    if (error instanceof errors.JWKSNoMatchingKey) {
      return this.failure(
        'invalid-credentials',
        'unknown-key',
        'No key of the issuer matches the JWT "kid"',
      );
    }
    if (error instanceof AuthError && error.code === 'fetch-failed') {
      return this.failure('error', 'jwks-unavailable', "The issuer's JWKS cannot be fetched");
    }
    if (
      error instanceof errors.JWTInvalid ||
      error instanceof errors.JWSInvalid ||
      error instanceof errors.JOSENotSupported
    ) {
      return this.failure(
        'invalid-credentials',
        'malformed-token',
        `JWT is malformed: ${error.message}`,
      );
    }
    if (error instanceof TypeError) {
      // jose refuses a key that does not fit the algorithm (e.g. an EC key for RS256) this way.
      return this.failure(
        'invalid-credentials',
        'bad-signature',
        'JWT key does not fit its algorithm',
      );
    }
    throw error;
  }

  protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    const token = credentials.accessToken ?? credentials.idToken;
    if (token === undefined) return this.noCredentials('No bearer token presented');
    if (token.length > this.#maxTokenLength) {
      return this.failure(
        'invalid-credentials',
        'credential-too-large',
        `JWT is ${token.length} characters long; at most ${this.#maxTokenLength} are accepted`,
      );
    }
    if (!JWS_SHAPE.test(token)) return this.noCredentials('Bearer token is not a JWT');
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return this.failure(
        'invalid-credentials',
        'malformed-token',
        'JWT header is not base64url JSON',
      );
    }
    if (typeof alg !== 'string' || !this.#algorithms.includes(alg)) {
      return this.failure(
        'invalid-credentials',
        'alg-not-allowed',
        `JWT algorithm ${JSON.stringify(alg ?? null)} is not allowed (allowed: ${this.#algorithms.join(', ')})`,
      );
    }
    let verified: JWTVerifyResult;
    try {
      verified = await this.#verify(token);
    } catch (error) {
      return this.#mapError(error);
    }
    return this.#accept(verified, credentials);
  }

  async #accept(verified: JWTVerifyResult, credentials: AuthCredentials): Promise<AuthResult> {
    const { payload, protectedHeader } = verified;
    const user = payload[this.#userClaim];
    if (typeof user !== 'string' || user.length === 0) {
      return this.failure(
        'invalid-credentials',
        user === undefined ? 'missing-claim' : 'invalid-claim',
        `JWT claim "${this.#userClaim}" must name the user`,
      );
    }
    if (payload.jti !== undefined && typeof payload.jti !== 'string') {
      return this.failure('invalid-credentials', 'invalid-claim', 'JWT "jti" must be a string');
    }
    if (this.#revocations && payload.jti !== undefined) {
      let revoked: boolean;
      try {
        revoked = await this.#revocations.isRevoked(payload.jti);
      } catch (cause) {
        this.logger.error(
          {
            provider: this.name,
            error: errorMessage(cause),
          },
          'revocation store unavailable',
        );
        return this.failure('error', 'store-unavailable', 'The revocation store is unavailable');
      }
      if (revoked) {
        return this.failure('invalid-credentials', 'token-revoked', 'JWT has been revoked', {
          metadata: { jti: payload.jti },
        });
      }
    }
    const scopes = this.#scopes(payload);
    if (scopes === undefined) {
      return this.failure('invalid-credentials', 'invalid-claim', 'JWT scope claim is malformed');
    }
    const roles = payload[this.#rolesClaim] ?? [];
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
      return this.failure(
        'invalid-credentials',
        'invalid-claim',
        `JWT "${this.#rolesClaim}" must be an array of strings`,
      );
    }
    const project = this.#projectClaim === undefined ? undefined : payload[this.#projectClaim];
    if (project !== undefined && typeof project !== 'string') {
      return this.failure(
        'invalid-credentials',
        'invalid-claim',
        `JWT "${this.#projectClaim}" must be a string`,
      );
    }
    const endpoints = payload[this.#endpointsClaim];
    if (endpoints !== undefined) {
      const matcher = this.#endpointMatcher(endpoints);
      if (!matcher) {
        return this.failure(
          'invalid-credentials',
          'invalid-claim',
          `JWT "${this.#endpointsClaim}" must be an array of endpoint patterns`,
        );
      }
      const { method, path } = credentials.context;
      if (!matcher.matchesEveryReading(credentials.context)) {
        return this.failure(
          'insufficient-permissions',
          'endpoint-not-allowed',
          `JWT is not valid for ${`${method ?? ''} ${path ?? '(unknown path)'}`.trim()}`,
        );
      }
    }
    const missing = missingScopes(scopes, this.#requiredScopes);
    if (missing.length > 0) {
      return this.failure(
        'insufficient-permissions',
        'insufficient-scope',
        `JWT lacks required scope(s): ${missing.join(', ')}`,
      );
    }
    // Built member by member: this is the hot path (see base-provider.ts on object spread).
    const metadata: Record<string, unknown> = { alg: protectedHeader.alg };
    if (payload.iss !== undefined) metadata.iss = payload.iss;
    if (payload.aud !== undefined) metadata.aud = payload.aud;
    if (payload.jti !== undefined) metadata.jti = payload.jti;
    if (protectedHeader.kid !== undefined) metadata.kid = protectedHeader.kid;
    const init: SuccessInit = {
      userId: user,
      permissions: scopes,
      roles: roles as string[],
      metadata,
    };
    if (project !== undefined) init.projectId = project;
    if (payload.exp !== undefined) init.expiresAt = payload.exp * 1000;
    return this.success(init);
  }

  #scopes(payload: JWTPayload): string[] | undefined {
    const names = this.#scopeClaim === undefined ? ['scope', 'scp'] : [this.#scopeClaim];
    for (const name of names) {
      const value = payload[name];
      if (value === undefined) continue;
      // A malformed claim is refused, not read as "no scopes": the issuer meant something.
      const wellFormed =
        typeof value === 'string' ||
        (Array.isArray(value) && value.every((s) => typeof s === 'string'));
      return wellFormed ? parseScope(value) : undefined;
    }
    return [];
  }

  #endpointMatcher(claim: unknown): EndpointMatcher | undefined {
    if (!Array.isArray(claim) || claim.length > 100 || !claim.every((c) => typeof c === 'string')) {
      return undefined;
    }
    const key = JSON.stringify(claim);
    let matcher = this.#endpointMatchers.get(key);
    if (!matcher) {
      try {
        matcher = new EndpointMatcher(claim as string[], `/${this.#endpointsClaim}`);
      } catch {
        return undefined;
      }
      if (this.#endpointMatchers.size >= 1_000) this.#endpointMatchers.clear();
      this.#endpointMatchers.set(key, matcher);
    }
    return matcher;
  }

  protected override sessionData(result: AuthResult): AuthSession['data'] {
    const jti = result.metadata.jti;
    return typeof jti === 'string' ? { jti } : undefined;
  }

  protected override async sessionStillValid(session: AuthSession): Promise<boolean> {
    const jti = session.data?.jti;
    if (typeof jti !== 'string' || !this.#revocations) return true;
    return !(await this.#revocations.isRevoked(jti));
  }
}
