import Type, { type Static } from 'typebox';

/**
 * The defaults of {@link OAuthConfig}: the one place they live. The schema shows them as
 * `default` annotations, the checks and the service read them from here.
 */
export const OAUTH_CONFIG_DEFAULTS = Object.freeze({
  enabled: true,
  version: '2.1',
  grantType: 'client_credentials',
  usePkce: true,
  codeChallengeMethod: 'S256',
  tokenExpiryBuffer: '5m',
  useBasicAuth: true,
  enforceHttps: true,
  allowLoopbackHttp: false,
  tokenInHeaderOnly: true,
  tokenEnvVar: 'OAUTH_ACCESS_TOKEN',
  validateScopes: 'error',
} as const);

/** A duration with a unit, as `@etdi/core`'s `parseDuration` reads it: `300s`, `5m`, `1h`. */
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(s|sec|m|min|h|d)$';
/** An environment variable name. */
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** An HTTP field name (RFC 9110 §5.1 token). */
const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
/** A header value without the characters that would split or end the header. */
const HEADER_VALUE_PATTERN = '^[^\\r\\n\\u0000]*$';

const NonEmpty = (description: string) => Type.String({ minLength: 1, description });

/**
 * Client certificate for the token endpoint (RFC 8705 mutual TLS). The files are read once, when
 * the configuration is prepared; a missing, unreadable or mismatched file is a start-up error.
 */
export const MtlsConfigSchema = Type.Object(
  {
    certPath: NonEmpty('PEM client certificate (chain allowed).'),
    keyPath: NonEmpty('PEM private key of the certificate.'),
    caPath: Type.Optional(
      NonEmpty('PEM CA bundle that verifies the authorization server; system roots when absent.'),
    ),
    passphrase: Type.Optional(
      Type.String({ description: 'Passphrase of an encrypted private key. A secret.' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * How the gateway authenticates to one upstream's authorization server: shapes, types and
 * defaults. The rules that tie members together (what each grant type needs, what OAuth 2.1
 * forbids, HTTPS) are checked by `assertOAuthConfig`, where their messages can say why.
 *
 * Exported so a host (the gateway) embeds it in its own configuration schema; it has no `$id`, so
 * it can be embedded any number of times.
 */
export const OAuthConfigSchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        default: OAUTH_CONFIG_DEFAULTS.enabled,
        description: '`false` turns OAuth off for the upstream.',
      }),
    ),
    version: Type.Optional(
      Type.Enum(['2.0', '2.1'], {
        default: OAUTH_CONFIG_DEFAULTS.version,
        description: 'OAuth version followed; 2.1 turns the draft MUSTs into rules.',
      }),
    ),
    grantType: Type.Optional(
      Type.Enum(['client_credentials', 'authorization_code', 'refresh_token'], {
        default: OAUTH_CONFIG_DEFAULTS.grantType,
        description: 'How the gateway obtains its token.',
      }),
    ),
    tokenUrl: Type.Optional(NonEmpty('Token endpoint.')),
    clientId: Type.Optional(NonEmpty('Client id of the gateway.')),
    clientSecret: Type.Optional(NonEmpty('A secret: masked in every log line and message.')),
    audience: Type.Optional(NonEmpty('Audience parameter (Auth0 and others).')),
    organization: Type.Optional(NonEmpty('Organization parameter (Auth0 organizations).')),
    scope: Type.Optional(Type.String({ description: 'Space-separated scopes to request.' })),
    resource: Type.Optional(
      Type.Union(
        [Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })],
        { description: 'RFC 8707 resource indicator(s): absolute URIs without a fragment.' },
      ),
    ),
    usePkce: Type.Optional(
      Type.Boolean({
        default: OAUTH_CONFIG_DEFAULTS.usePkce,
        description: 'PKCE in the authorization-code flow; OAuth 2.1 requires it.',
      }),
    ),
    authorizationUrl: Type.Optional(NonEmpty('Authorization endpoint (authorization code).')),
    redirectUri: Type.Optional(NonEmpty('Redirect URI registered for the gateway.')),
    codeChallengeMethod: Type.Optional(
      Type.Enum(['S256', 'plain'], {
        default: OAUTH_CONFIG_DEFAULTS.codeChallengeMethod,
        description: 'PKCE method (RFC 7636); OAuth 2.1 allows only S256.',
      }),
    ),
    tokenExpiryBuffer: Type.Optional(
      Type.String({
        pattern: DURATION_PATTERN,
        default: OAUTH_CONFIG_DEFAULTS.tokenExpiryBuffer,
        description:
          'Refresh this long before the token expires (a duration: "300s", "5m"; at most "1d"), ' +
          'never more than half its lifetime.',
      }),
    ),
    useBasicAuth: Type.Optional(
      Type.Boolean({
        default: OAUTH_CONFIG_DEFAULTS.useBasicAuth,
        description: '`true`: client_secret_basic. `false`: client_secret_post.',
      }),
    ),
    enforceHttps: Type.Optional(
      Type.Boolean({
        default: OAUTH_CONFIG_DEFAULTS.enforceHttps,
        description: 'Refuse http:// endpoints; OAuth 2.1 requires it.',
      }),
    ),
    allowLoopbackHttp: Type.Optional(
      Type.Boolean({
        default: OAUTH_CONFIG_DEFAULTS.allowLoopbackHttp,
        description: 'Allow http:// to loopback addresses although enforceHttps is on (tests).',
      }),
    ),
    tokenInHeaderOnly: Type.Optional(
      Type.Boolean({
        default: OAUTH_CONFIG_DEFAULTS.tokenInHeaderOnly,
        description: 'Tokens go to upstreams in the Authorization header only; 2.1 requires it.',
      }),
    ),
    tokenEnvVar: Type.Optional(
      Type.String({
        pattern: ENV_NAME_PATTERN,
        default: OAUTH_CONFIG_DEFAULTS.tokenEnvVar,
        description: 'Environment variable that carries the token to a stdio upstream.',
      }),
    ),
    mtls: Type.Optional(MtlsConfigSchema),
    revocationUrl: Type.Optional(NonEmpty('RFC 7009 revocation endpoint.')),
    validateScopes: Type.Optional(
      Type.Enum(['error', 'warn', 'off'], {
        default: OAUTH_CONFIG_DEFAULTS.validateScopes,
        description: 'What to do when the granted scope does not cover the requested one.',
      }),
    ),
    refreshToken: Type.Optional(
      NonEmpty('Provisioned refresh token of the refresh_token grant. A secret.'),
    ),
    additionalParams: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        propertyNames: { minLength: 1 },
        description: 'Extra token request parameters; protocol parameters are refused.',
      }),
    ),
    customHeaders: Type.Optional(
      Type.Record(Type.String(), Type.String({ pattern: HEADER_VALUE_PATTERN }), {
        propertyNames: { pattern: HEADER_NAME_PATTERN },
        description: 'Extra headers to the authorization server; auth and framing are refused.',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * How the gateway authenticates to one upstream's authorization server (the type of
 * {@link OAuthConfigSchema}). Validated by `assertOAuthConfig`; unknown keys are errors, so a
 * typo never silently disables a check. Defaults: {@link OAUTH_CONFIG_DEFAULTS}.
 *
 * @example
 * const config: OAuthConfig = {
 *   version: '2.1',
 *   grantType: 'client_credentials',
 *   tokenUrl: 'https://auth.example.com/oauth/token',
 *   clientId: 'etdi-gateway',
 *   clientSecret: process.env.UPSTREAM_CLIENT_SECRET,
 *   scope: 'tools:read tools:call',
 *   resource: 'https://mcp.example.com/',
 *   tokenExpiryBuffer: '5m',
 * };
 */
export type OAuthConfig = Readonly<Static<typeof OAuthConfigSchema>>;

/** Client certificate of an {@link OAuthConfig} (RFC 8705 mutual TLS). */
export type MtlsConfig = Readonly<Static<typeof MtlsConfigSchema>>;

/** OAuth protocol version a configuration follows. `2.1` turns the draft's MUSTs into rules. */
export type OAuthVersion = NonNullable<OAuthConfig['version']>;

/** How the gateway obtains its token from the authorization server. */
export type OAuthGrantType = NonNullable<OAuthConfig['grantType']>;

/** PKCE code challenge method (RFC 7636). OAuth 2.1 allows only `S256`. */
export type CodeChallengeMethod = NonNullable<OAuthConfig['codeChallengeMethod']>;

/** What to do when the granted scope does not cover the requested scope. */
export type ScopeValidation = NonNullable<OAuthConfig['validateScopes']>;
