/** OAuth protocol version a configuration follows. `2.1` turns the draft's MUSTs into rules. */
export type OAuthVersion = '2.0' | '2.1';

/** How the gateway obtains its token from the authorization server. */
export type OAuthGrantType = 'client_credentials' | 'authorization_code' | 'refresh_token';

/** PKCE code challenge method (RFC 7636). OAuth 2.1 allows only `S256`. */
export type CodeChallengeMethod = 'S256' | 'plain';

/** What to do when the granted scope does not cover the requested scope. */
export type ScopeValidation = 'error' | 'warn' | 'off';

/**
 * Client certificate for the token endpoint (RFC 8705 mutual TLS). The files are read once, when
 * the configuration is prepared; a missing, unreadable or mismatched file is a start-up error.
 */
export interface MtlsConfig {
  /** PEM client certificate (chain allowed). */
  readonly certPath: string;
  /** PEM private key of the certificate. */
  readonly keyPath: string;
  /** PEM CA bundle that verifies the authorization server; the system roots when absent. */
  readonly caPath?: string;
  /** Passphrase of an encrypted private key. A secret: masked everywhere. */
  readonly passphrase?: string;
}

/**
 * How the gateway authenticates to one upstream's authorization server. Validated by
 * {@link assertOAuthConfig}; unknown keys are errors, so a typo never silently disables a check.
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
 * };
 */
export interface OAuthConfig {
  /** `false` turns OAuth off for the upstream. Default `true`. */
  readonly enabled?: boolean;
  /** Default `'2.1'`. */
  readonly version?: OAuthVersion;
  /** Default `'client_credentials'`. */
  readonly grantType?: OAuthGrantType;
  /** Token endpoint. */
  readonly tokenUrl?: string;
  readonly clientId?: string;
  /** A secret: masked in every log line, error message, `toString` and `toJSON`. */
  readonly clientSecret?: string;
  /** Audience parameter (Auth0 and others). */
  readonly audience?: string;
  /** Organization parameter (Auth0 organizations). */
  readonly organization?: string;
  /** Space-separated scopes to request. */
  readonly scope?: string;
  /** RFC 8707 resource indicator(s): absolute URIs without a fragment. */
  readonly resource?: string | readonly string[];
  /** Use PKCE in the authorization-code flow. Default `true`; OAuth 2.1 requires it. */
  readonly usePkce?: boolean;
  /** Authorization endpoint (authorization-code flow). */
  readonly authorizationUrl?: string;
  /** Redirect URI registered for the gateway (authorization-code flow). */
  readonly redirectUri?: string;
  /** Default `'S256'`; OAuth 2.1 allows nothing else. */
  readonly codeChallengeMethod?: CodeChallengeMethod;
  /** Refresh this many seconds before the token expires. Default 300. */
  readonly tokenExpiryBuffer?: number;
  /** `true`: client_secret_basic (HTTP Basic). `false`: client_secret_post. Default `true`. */
  readonly useBasicAuth?: boolean;
  /** Refuse `http://` endpoints. Default `true`; OAuth 2.1 requires it. */
  readonly enforceHttps?: boolean;
  /**
   * Allow `http://` endpoints on loopback addresses (127.0.0.0/8, ::1, localhost) although
   * `enforceHttps` is on. For tests and local development only. Default `false`.
   */
  readonly allowLoopbackHttp?: boolean;
  /**
   * Send the access token to the upstream only in the `Authorization` header, never in a URL
   * (RFC 6750 §2.3 query parameter). Default `true`; OAuth 2.1 requires it.
   */
  readonly tokenInHeaderOnly?: boolean;
  /** Environment variable that carries the token to a stdio upstream. Default `OAUTH_ACCESS_TOKEN`. */
  readonly tokenEnvVar?: string;
  /** Client certificate for RFC 8705 mutual TLS to the authorization server. */
  readonly mtls?: MtlsConfig;
  /** RFC 7009 revocation endpoint. */
  readonly revocationUrl?: string;
  /** Granted scope must cover the requested scope. Default `'error'`. */
  readonly validateScopes?: ScopeValidation;
  /**
   * Refresh token for the `refresh_token` grant (an offline token provisioned out of band).
   * A secret: masked everywhere.
   */
  readonly refreshToken?: string;
  /** Extra form parameters for the token request. Protocol parameters cannot be overridden. */
  readonly additionalParams?: Readonly<Record<string, string>>;
  /** Extra headers for requests to the authorization server. `Authorization` and framing
   * headers cannot be overridden. */
  readonly customHeaders?: Readonly<Record<string, string>>;
}
