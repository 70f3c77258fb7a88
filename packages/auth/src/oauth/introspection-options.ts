import Type, { type Static } from 'typebox';
import {
  NonEmptyString,
  NonNegativeInteger,
  PositiveInteger,
  StringList,
  StringOr,
} from '../config/schema-parts.js';
import { BASE_PROVIDER_OPTIONS, TOKEN_PROVIDER_OPTIONS } from '../provider-options.js';

/** Schema of {@link IntrospectionProviderOptions}. */
export const IntrospectionProviderOptionsSchema = Type.Object(
  {
    ...BASE_PROVIDER_OPTIONS,
    /** RFC 7662 introspection endpoint. At least one of this and `userinfoEndpoint`. */
    introspectionEndpoint: Type.Optional(StringOr<URL>()),
    /**
     * OpenID Connect UserInfo endpoint: decides on its own when there is no introspection
     * endpoint, and adds the user's claims to `metadata.userinfo` when there is one.
     */
    userinfoEndpoint: Type.Optional(StringOr<URL>()),
    /** Token endpoint, for `refreshAuthentication` with a refresh token. */
    tokenEndpoint: Type.Optional(StringOr<URL>()),
    /** This resource server's client id at the authorization server. */
    clientId: NonEmptyString,
    /** This resource server's client secret at the authorization server. */
    clientSecret: NonEmptyString,
    /** How the client authenticates to the endpoints. Default `client_secret_basic`. */
    clientAuthMethod: Type.Optional(Type.Enum(['client_secret_basic', 'client_secret_post'])),
    /** Accepted `iss`, when the introspection response names one. */
    issuer: Type.Optional(NonEmptyString),
    /**
     * Accepted `aud` value(s): the introspection response must name one. Needs an
     * `introspectionEndpoint`: UserInfo does not say whom a token was issued for, so a
     * UserInfo-only configuration with `audience` is refused at start-up rather than left
     * unchecked.
     */
    audience: Type.Optional(Type.Union([NonEmptyString, StringList])),
    /** Scopes every token must hold. */
    requiredScopes: Type.Optional(StringList),
    /** Longest a positive answer is cached; never past the token's own `exp`. Default 60 s. */
    cacheMaxTtlMs: Type.Optional(NonNegativeInteger),
    /**
     * How long a refusal (an inactive, expired or foreign token) is cached, so a client retrying
     * a bad token does not cost a request to the authorization server each time. Default 30 s; 0
     * turns it off. Failures to reach the server are never cached.
     */
    negativeCacheTtlMs: Type.Optional(NonNegativeInteger),
    /** Most answers cached, positive and negative each. Default 10 000. */
    maxCacheEntries: Type.Optional(PositiveInteger),
    /** Per request to the authorization server. Default 5 s. */
    timeoutMs: Type.Optional(PositiveInteger),
    ...TOKEN_PROVIDER_OPTIONS,
  },
  { additionalProperties: false },
);

/** Options of `IntrospectionProvider`. */
export type IntrospectionProviderOptions = Static<typeof IntrospectionProviderOptionsSchema>;
