import type { KeyObject, webcrypto } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import Type, { type Static } from 'typebox';
import {
  NonEmptyString,
  NonNegativeInteger,
  PositiveInteger,
  Runtime,
  StringList,
  StringOr,
} from '../config/schema-parts.js';
import { BASE_PROVIDER_OPTIONS, TOKEN_PROVIDER_OPTIONS } from '../provider-options.js';
import type { JtiRevocationStore } from './jti-revocation-store.js';

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

// `issuer` and `audience`: required, `false` to accept any value (explicitly).
const AcceptedValues = Type.Union([
  NonEmptyString,
  Type.Immutable(Type.Array(NonEmptyString, { minItems: 1 })),
  Type.Literal(false),
]);

/** Schema of {@link JwtProviderOptions}. */
export const JwtProviderOptionsSchema = Type.Object(
  {
    ...BASE_PROVIDER_OPTIONS,
    /**
     * The explicit allowlist; a token whose `alg` is not on it is refused before any key is
     * touched. HMAC (`HS*`) is only allowed with a `secret`, asymmetric algorithms only with
     * public keys: that rules out algorithm confusion by configuration.
     */
    algorithms: Type.Immutable(Type.Array(Type.Enum([...JWT_ALGORITHMS]), { minItems: 1 })),
    /** JWKS endpoint of the issuer; cached, refetched on an unknown `kid`, rate-bounded. */
    jwksUrl: Type.Optional(StringOr<URL>()),
    /** A fixed JWKS. */
    jwks: Type.Optional(
      Type.Unsafe<JSONWebKeySet>(Type.Object({ keys: Type.Array(Type.Object({})) })),
    ),
    /** One public key: PEM (SPKI or certificate), a JWK, a `KeyObject` or a WebCrypto `CryptoKey`. */
    publicKey: Type.Optional(StringOr<JWK | KeyObject | webcrypto.CryptoKey>()),
    /** HMAC secret for `HS*`; at least as many bytes as the hash (32 for HS256). */
    secret: Type.Optional(StringOr<Uint8Array>()),
    /**
     * Accepted `iss` value(s). Required: keys are often shared by an issuer's tenants, or a JWKS
     * serves several issuers. `false` accepts any issuer, with a security warning at start-up.
     */
    issuer: AcceptedValues,
    /**
     * Accepted `aud` value(s); the token must name one. Required: without it a token the same
     * issuer minted for any other service is accepted here. `false` accepts any audience, with a
     * security warning at start-up.
     */
    audience: AcceptedValues,
    /** Refuse tokens without `exp` (they would never expire). Default true. */
    requireExp: Type.Optional(Type.Boolean()),
    /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 0. */
    clockToleranceSec: Type.Optional(Type.Number({ minimum: 0 })),
    /** Refuse tokens issued (`iat`) longer ago than this, in seconds. */
    maxTokenAgeSec: Type.Optional(PositiveInteger),
    /** Claims that must be present, e.g. `['jti', 'exp']`. */
    requiredClaims: Type.Optional(StringList),
    /** Expected `typ` header, e.g. `at+jwt` (RFC 9068). */
    typ: Type.Optional(NonEmptyString),
    /** Revoked `jti`s; a token whose `jti` is listed is refused. */
    revocations: Type.Optional(Runtime<JtiRevocationStore>()),
    /** Claim naming the user. Default `sub`. */
    userClaim: Type.Optional(NonEmptyString),
    /** Claim naming the project, if any. */
    projectClaim: Type.Optional(NonEmptyString),
    /** Claim holding scopes: a space-separated string or an array. Default `scope`, then `scp`. */
    scopeClaim: Type.Optional(NonEmptyString),
    /** Claim holding roles (array). Default `roles`. */
    rolesClaim: Type.Optional(NonEmptyString),
    /**
     * Claim binding the token to endpoints (policy-bound tokens): an array of patterns like
     * `"/mcp"` or `"POST /tools/*"`. When the token carries it, a request elsewhere is refused.
     * Default `allowed_endpoints`.
     */
    endpointsClaim: Type.Optional(NonEmptyString),
    /** Scopes every token must hold. */
    requiredScopes: Type.Optional(StringList),
    /** JWKS cache: refetch the set after this long even when every `kid` is known. Default 10 min. */
    jwksCacheMaxAgeMs: Type.Optional(PositiveInteger),
    /** At most one JWKS fetch per this interval, whatever triggers it. Default 30 s. */
    jwksCooldownMs: Type.Optional(NonNegativeInteger),
    /** Timeout of one JWKS fetch. Default 5 s. */
    jwksTimeoutMs: Type.Optional(PositiveInteger),
    ...TOKEN_PROVIDER_OPTIONS,
    /** Method recorded in results. Default `jwt`. */
    method: Type.Optional(Type.Enum(['jwt', 'bearer-token', 'oauth'])),
  },
  { additionalProperties: false },
);

/** Options of `JwtProvider`. Exactly one key source: `jwksUrl`, `jwks`, `publicKey` or `secret`. */
export type JwtProviderOptions = Static<typeof JwtProviderOptionsSchema>;
