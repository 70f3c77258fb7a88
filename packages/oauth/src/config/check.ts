import {
  compileSchema,
  formatIssues,
  inspectServerUrl,
  isScopeToken,
  parseDuration,
  parseScope,
  pointerToken,
  schemaIssues,
  type SchemaIssue,
} from '@etdi/core';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { OAuthError } from '../errors.js';
import {
  OAUTH_CONFIG_DEFAULTS,
  OAuthConfigSchema,
  type CodeChallengeMethod,
  type OAuthConfig,
} from './schema.js';

/** An {@link OAuthConfig} with every default of {@link OAUTH_CONFIG_DEFAULTS} applied. */
export type ResolvedOAuthConfig = OAuthConfig & {
  readonly [K in keyof typeof OAUTH_CONFIG_DEFAULTS]-?: NonNullable<OAuthConfig[K]>;
};

/** What one grant type needs, checked present. */
export type CheckedGrant =
  | { readonly grantType: 'client_credentials' }
  | { readonly grantType: 'refresh_token'; readonly refreshToken: string }
  | {
      readonly grantType: 'authorization_code';
      readonly authorizationUrl: string;
      readonly redirectUri: string;
      /** The PKCE method, or `undefined` when PKCE is off (OAuth 2.0 only). */
      readonly pkce: CodeChallengeMethod | undefined;
    };

/** A configuration that passed every check, without any file read. Internal. */
export type CheckedConfig =
  | { readonly enabled: false; readonly config: ResolvedOAuthConfig }
  | {
      readonly enabled: true;
      readonly config: ResolvedOAuthConfig;
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly grant: CheckedGrant;
      readonly resources: readonly string[];
      readonly tokenExpiryBufferMs: number;
    };

/** Parameters the service sets itself; `additionalParams` must not smuggle in another value. */
const RESERVED_PARAMS = new Set([
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'code',
  'code_verifier',
  'code_challenge',
  'code_challenge_method',
  'redirect_uri',
  'refresh_token',
  'response_type',
  'state',
  'scope',
  'resource',
  'audience',
  'organization',
  'token',
  'token_type_hint',
]);

/** Headers that carry client authentication or HTTP framing; never taken from `customHeaders`. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'content-type',
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'accept',
]);

/** The longest `tokenExpiryBuffer`: a day, far beyond any access token worth caching. */
const MAX_EXPIRY_BUFFER_SEC = 86_400;

let validator: ValidateFunction<OAuthConfig> | undefined;

function configError(pointer: string, message: string): OAuthError {
  return new OAuthError('invalid-config', formatIssues('OAuth config', [{ pointer, message }]), {
    pointer,
  });
}

/** What ajv says, in words a person configuring the gateway can act on. */
function explain(issue: SchemaIssue): SchemaIssue {
  const { pointer, message } = issue;
  if (pointer === '/tokenExpiryBuffer') {
    return { pointer, message: 'must be a duration with a unit, such as "5m" or "300s"' };
  }
  if (pointer === '/tokenEnvVar' && message.startsWith('must match pattern')) {
    return { pointer, message: 'must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)' };
  }
  if (pointer.startsWith('/customHeaders/') && message.startsWith('must match pattern')) {
    // The value may be a credential: say what is wrong with it, never what it is.
    return { pointer, message: 'must not contain CR, LF or NUL' };
  }
  if (message === 'must NOT have fewer than 1 characters')
    return { pointer, message: 'must not be empty' };
  if (message === 'must NOT have fewer than 1 items') {
    return { pointer, message: 'must not be an empty array' };
  }
  return issue;
}

/** The issues of a failed schema check, unknown keys (the likeliest mistake, a typo) first. */
function issuesOf(errors: readonly ErrorObject[]): SchemaIssue[] {
  const names: SchemaIssue[] = [];
  const rest: ErrorObject[] = [];
  for (const error of errors) {
    // ajv reports a bad member name twice: the name's own failure, then `propertyNames`.
    if ((error as { propertyName?: string }).propertyName !== undefined) continue;
    if (error.keyword === 'propertyNames') {
      const name = String((error.params as { propertyName?: unknown }).propertyName);
      names.push({
        pointer: `${error.instancePath}/${pointerToken(name)}`,
        message: `has an invalid name ${JSON.stringify(name)}`,
      });
    } else {
      rest.push(error);
    }
  }
  const issues = [...names, ...schemaIssues(rest)].map(explain);
  const unknown = issues.filter((i) => i.message.startsWith('unknown key'));
  return [...unknown, ...issues.filter((i) => !unknown.includes(i))];
}

function checkEndpoint(
  config: ResolvedOAuthConfig,
  member: 'tokenUrl' | 'revocationUrl' | 'authorizationUrl',
): void {
  const value = config[member];
  if (value === undefined) return;
  const pointer = `/${member}`;
  // The rules are @etdi/core's inspectServerUrl, shared with @etdi/auth.
  const checked = inspectServerUrl(value, {
    requireHttps: config.enforceHttps,
    allowLoopbackHttp: config.allowLoopbackHttp,
    refuseFragment: true,
  });
  if (checked.ok) return;
  switch (checked.problem) {
    case 'not-a-url':
      throw configError(pointer, 'must be an absolute URL');
    case 'not-http':
      throw configError(pointer, 'must be an https URL');
    case 'credentials':
      // Credentials in a URL end up in logs and proxies; they belong in clientId/clientSecret.
      throw configError(pointer, 'must not contain credentials');
    case 'fragment':
      throw configError(pointer, 'must not contain a fragment (RFC 6749 §3.1)');
    case 'insecure-http':
      throw new OAuthError(
        'insecure-url',
        formatIssues('OAuth config', [
          {
            pointer,
            message:
              `uses http:// (${checked.url?.host ?? ''}) but enforceHttps is on; use https` +
              (checked.loopback ? ', or set allowLoopbackHttp for local tests' : ''),
          },
        ]),
        { pointer },
      );
  }
}

function checkUri(pointer: string, value: string, what: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(pointer, `must be an absolute URI (${what})`);
  }
  if (url.hash !== '') throw configError(pointer, `must not contain a fragment (${what})`);
}

function required<
  K extends 'tokenUrl' | 'clientId' | 'refreshToken' | 'authorizationUrl' | 'redirectUri',
>(config: ResolvedOAuthConfig, member: K, why = ''): string {
  const value = config[member];
  if (value === undefined) throw configError(`/${member}`, `"${member}" is required${why}`);
  return value;
}

function checkGrant(config: ResolvedOAuthConfig): CheckedGrant {
  const oauth21 = config.version === '2.1';
  if (oauth21 && config.codeChallengeMethod === 'plain') {
    throw configError(
      '/codeChallengeMethod',
      'must be "S256" with version 2.1 ("plain" is forbidden)',
    );
  }
  const grantType = config.grantType;
  const forGrant = ` for grantType "${grantType}"`;
  switch (grantType) {
    case 'client_credentials':
      if (config.clientSecret === undefined && config.mtls === undefined) {
        throw configError('/clientSecret', `"clientSecret" (or "mtls") is required${forGrant}`);
      }
      return { grantType };
    case 'refresh_token':
      return { grantType, refreshToken: required(config, 'refreshToken', forGrant) };
    case 'authorization_code': {
      const authorizationUrl = required(config, 'authorizationUrl', forGrant);
      const redirectUri = required(config, 'redirectUri', forGrant);
      checkUri('/redirectUri', redirectUri, 'RFC 6749 §3.1.2');
      if (oauth21 && !config.usePkce) {
        throw configError('/usePkce', 'cannot be false with version 2.1 (PKCE is required)');
      }
      const pkce = config.usePkce ? config.codeChallengeMethod : undefined;
      return { grantType, authorizationUrl, redirectUri, pkce };
    }
  }
}

/**
 * Checks `value` against {@link OAuthConfigSchema} and the rules that tie members together,
 * applying {@link OAUTH_CONFIG_DEFAULTS}. Reads no files. Internal: `assertOAuthConfig` and the
 * service's `prepare` are built on it.
 *
 * @throws {OAuthError} `invalid-config` or `insecure-url`, with `pointer` naming the member.
 */
export function checkOAuthConfig(value: unknown): CheckedConfig {
  // Compiled on first use, not at import: importing the package must stay cheap for hosts that
  // never configure OAuth.
  validator ??= compileSchema<OAuthConfig>(OAuthConfigSchema);
  if (!validator(value)) {
    const issues = issuesOf(validator.errors ?? []);
    throw new OAuthError('invalid-config', formatIssues('OAuth config', issues), {
      pointer: issues[0]?.pointer ?? '',
    });
  }
  const config = { ...OAUTH_CONFIG_DEFAULTS, ...value } as ResolvedOAuthConfig;

  for (const token of parseScope(config.scope ?? '')) {
    if (!isScopeToken(token))
      throw configError('/scope', 'has an invalid scope token (RFC 6749 §3.3)');
  }
  for (const name of Object.keys(config.additionalParams ?? {})) {
    if (RESERVED_PARAMS.has(name)) {
      throw configError(
        `/additionalParams/${pointerToken(name)}`,
        `"${name}" is a protocol parameter the service sets itself`,
      );
    }
  }
  for (const name of Object.keys(config.customHeaders ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw configError(
        `/customHeaders/${pointerToken(name)}`,
        `"${name}" cannot be set: the service owns client authentication and framing headers`,
      );
    }
  }
  const bufferSec = parseDuration(config.tokenExpiryBuffer, 'tokenExpiryBuffer');
  if (bufferSec > MAX_EXPIRY_BUFFER_SEC)
    throw configError('/tokenExpiryBuffer', 'must be at most "1d"');

  if (!config.enabled) return { enabled: false, config };

  if (config.version === '2.1') {
    if (!config.enforceHttps)
      throw configError('/enforceHttps', 'cannot be false with version 2.1');
    if (!config.tokenInHeaderOnly) {
      throw configError(
        '/tokenInHeaderOnly',
        'cannot be false with version 2.1 (tokens in URLs are forbidden)',
      );
    }
  }
  const tokenUrl = required(config, 'tokenUrl');
  const clientId = required(config, 'clientId');
  checkEndpoint(config, 'tokenUrl');
  checkEndpoint(config, 'revocationUrl');
  checkEndpoint(config, 'authorizationUrl');

  const resource = config.resource;
  const resources =
    resource === undefined ? [] : typeof resource === 'string' ? [resource] : [...resource];
  resources.forEach((uri, i) =>
    checkUri(typeof resource === 'string' ? '/resource' : `/resource/${i}`, uri, 'RFC 8707'),
  );

  return {
    enabled: true,
    config,
    tokenUrl,
    clientId,
    grant: checkGrant(config),
    resources,
    tokenExpiryBufferMs: bufferSec * 1000,
  };
}
