/**
 * JSON Schema (draft-07, as ajv compiles it) of {@link OAuthConfig}: shapes and types only. The
 * rules that tie members together (what each grant type needs, what OAuth 2.1 forbids, HTTPS)
 * live in `assertOAuthConfig`, where their messages can say why.
 *
 * Exported so a host (the gateway) can embed it in its own configuration schema.
 */
export const OAUTH_CONFIG_SCHEMA = {
  $id: 'https://etdi.dev/schemas/oauth-config.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    version: { type: 'string', enum: ['2.0', '2.1'] },
    grantType: {
      type: 'string',
      enum: ['client_credentials', 'authorization_code', 'refresh_token'],
    },
    tokenUrl: { type: 'string', minLength: 1 },
    clientId: { type: 'string', minLength: 1 },
    clientSecret: { type: 'string', minLength: 1 },
    audience: { type: 'string', minLength: 1 },
    organization: { type: 'string', minLength: 1 },
    scope: { type: 'string' },
    resource: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      ],
    },
    usePkce: { type: 'boolean' },
    authorizationUrl: { type: 'string', minLength: 1 },
    redirectUri: { type: 'string', minLength: 1 },
    codeChallengeMethod: { type: 'string', enum: ['S256', 'plain'] },
    tokenExpiryBuffer: { type: 'integer', minimum: 0, maximum: 86_400 },
    useBasicAuth: { type: 'boolean' },
    enforceHttps: { type: 'boolean' },
    allowLoopbackHttp: { type: 'boolean' },
    tokenInHeaderOnly: { type: 'boolean' },
    tokenEnvVar: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    mtls: {
      type: 'object',
      additionalProperties: false,
      required: ['certPath', 'keyPath'],
      properties: {
        certPath: { type: 'string', minLength: 1 },
        keyPath: { type: 'string', minLength: 1 },
        caPath: { type: 'string', minLength: 1 },
        passphrase: { type: 'string' },
      },
    },
    revocationUrl: { type: 'string', minLength: 1 },
    validateScopes: { type: 'string', enum: ['error', 'warn', 'off'] },
    refreshToken: { type: 'string', minLength: 1 },
    additionalParams: {
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: { type: 'string' },
    },
    customHeaders: {
      type: 'object',
      propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
      additionalProperties: { type: 'string', pattern: '^[^\\r\\n\\u0000]*$' },
    },
  },
} as const;
