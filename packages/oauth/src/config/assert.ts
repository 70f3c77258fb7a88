import { inspectServerUrl } from '@etdi/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { OAuthError } from '../errors.js';
import { OAUTH_CONFIG_SCHEMA } from './schema.js';
import type { OAuthConfig } from './types.js';

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  // Compiled on first use, not at import: importing the package must stay cheap for hosts that
  // never configure OAuth.
  compiled ??= new Ajv({ allErrors: true, strict: true }).compile(OAUTH_CONFIG_SCHEMA);
  return compiled;
}

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

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function fieldName(pointer: string): string {
  return pointer.split('/').filter(Boolean).join('.');
}

function configError(field: string, message: string): OAuthError {
  return new OAuthError('invalid-config', `OAuth config ${message}`, { pointer: field });
}

function describeSchemaError(error: ErrorObject): OAuthError {
  const path = error.instancePath;
  const name = `"${fieldName(path)}"`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const at = path === '' ? '' : ` in ${name}`;
      return configError(`${path}/${key}`, `has an unknown key "${key}"${at}`);
    }
    case 'required': {
      const key = String(params.missingProperty);
      return configError(`${path}/${key}`, `"${fieldName(`${path}/${key}`)}" is required`);
    }
    case 'type':
      return path === ''
        ? configError('', 'must be an object')
        : configError(path, `${name} must be ${article(String(params.type))}`);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return configError(path, `${name} must be one of ${allowed}`);
    }
    case 'minLength':
      return configError(path, `${name} must not be empty`);
    case 'minItems':
      return configError(path, `${name} must not be an empty array`);
    case 'minimum':
    case 'maximum':
      return configError(
        path,
        `${name} must be ${String(params.comparison)} ${String(params.limit)}`,
      );
    case 'anyOf':
      return configError(path, `${name} must be a URI or a non-empty array of URIs`);
    case 'propertyNames':
      return configError(path, `${name} has an invalid name "${String(params.propertyName)}"`);
    case 'pattern':
      if (path === '/tokenEnvVar') {
        return configError(
          path,
          `${name} must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)`,
        );
      }
      if (path.startsWith('/customHeaders/')) {
        // The value may be a credential: say what is wrong with it, never what it is.
        return configError(path, `${name} must not contain CR, LF or NUL`);
      }
      return configError(path, `${name} has an invalid name`);
    default:
      return configError(path, `${name} ${error.message ?? 'is invalid'}`);
  }
}

function article(type: string): string {
  return type === 'integer' || type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`;
}

function checkEndpoint(config: OAuthConfig, field: keyof OAuthConfig): void {
  const value = config[field];
  if (typeof value !== 'string') return;
  // The rules are @etdi/core's inspectServerUrl, shared with @etdi/auth.
  const checked = inspectServerUrl(value, {
    requireHttps: config.enforceHttps ?? true,
    allowLoopbackHttp: config.allowLoopbackHttp === true,
    refuseFragment: true,
  });
  if (checked.ok) return;
  switch (checked.problem) {
    case 'not-a-url':
      throw configError(`/${field}`, `"${field}" must be an absolute URL`);
    case 'not-http':
      throw configError(`/${field}`, `"${field}" must be an https URL`);
    case 'credentials':
      // Credentials in a URL end up in logs and proxies; they belong in clientId/clientSecret.
      throw configError(`/${field}`, `"${field}" must not contain credentials`);
    case 'fragment':
      throw configError(`/${field}`, `"${field}" must not contain a fragment (RFC 6749 §3.1)`);
    case 'insecure-http':
      throw new OAuthError(
        'insecure-url',
        `OAuth config "${field}" uses http:// (${checked.url?.host ?? ''}) but enforceHttps is on; use https` +
          (checked.loopback ? ', or set allowLoopbackHttp for local tests' : ''),
        { pointer: `/${field}` },
      );
  }
}

function checkUri(field: string, value: string, what: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(field, `"${fieldName(field)}" must be an absolute URI (${what})`);
  }
  if (url.hash !== '') {
    throw configError(field, `"${fieldName(field)}" must not contain a fragment (${what})`);
  }
}

function checkRules(config: OAuthConfig): void {
  const version = config.version ?? '2.1';
  const grantType = config.grantType ?? 'client_credentials';

  if (config.scope !== undefined) {
    for (const token of config.scope.split(' ').filter(Boolean)) {
      if (!SCOPE_TOKEN.test(token)) {
        throw configError('/scope', `"scope" has an invalid scope token (RFC 6749 §3.3)`);
      }
    }
  }
  for (const name of Object.keys(config.additionalParams ?? {})) {
    if (RESERVED_PARAMS.has(name)) {
      throw configError(
        `/additionalParams/${name}`,
        `"additionalParams.${name}" is a protocol parameter the service sets itself`,
      );
    }
  }
  for (const name of Object.keys(config.customHeaders ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw configError(
        `/customHeaders/${name}`,
        `"customHeaders.${name}" cannot be set: the service owns client authentication and framing headers`,
      );
    }
  }

  if (config.enabled === false) return;

  if (version === '2.1') {
    if (config.enforceHttps === false) {
      throw configError('/enforceHttps', '"enforceHttps" cannot be false with version 2.1');
    }
    if (config.tokenInHeaderOnly === false) {
      throw configError(
        '/tokenInHeaderOnly',
        '"tokenInHeaderOnly" cannot be false with version 2.1 (tokens in URLs are forbidden)',
      );
    }
  }

  if (config.tokenUrl === undefined) throw configError('/tokenUrl', '"tokenUrl" is required');
  if (config.clientId === undefined) throw configError('/clientId', '"clientId" is required');
  checkEndpoint(config, 'tokenUrl');
  checkEndpoint(config, 'revocationUrl');
  checkEndpoint(config, 'authorizationUrl');

  const resources =
    config.resource === undefined
      ? []
      : typeof config.resource === 'string'
        ? [config.resource]
        : config.resource;
  resources.forEach((value, i) =>
    checkUri(
      typeof config.resource === 'string' ? '/resource' : `/resource/${i}`,
      value,
      'RFC 8707',
    ),
  );

  switch (grantType) {
    case 'client_credentials':
      if (config.clientSecret === undefined && config.mtls === undefined) {
        throw configError(
          '/clientSecret',
          '"clientSecret" (or "mtls") is required for grantType "client_credentials"',
        );
      }
      break;
    case 'refresh_token':
      if (config.refreshToken === undefined) {
        throw configError(
          '/refreshToken',
          '"refreshToken" is required for grantType "refresh_token"',
        );
      }
      break;
    case 'authorization_code': {
      if (config.authorizationUrl === undefined) {
        throw configError(
          '/authorizationUrl',
          '"authorizationUrl" is required for grantType "authorization_code"',
        );
      }
      if (config.redirectUri === undefined) {
        throw configError(
          '/redirectUri',
          '"redirectUri" is required for grantType "authorization_code"',
        );
      }
      checkUri('/redirectUri', config.redirectUri, 'RFC 6749 §3.1.2');
      if (version === '2.1' && config.usePkce === false) {
        throw configError(
          '/usePkce',
          '"usePkce" cannot be false with version 2.1 (PKCE is required)',
        );
      }
      break;
    }
  }
  if (version === '2.1' && config.codeChallengeMethod === 'plain') {
    throw configError(
      '/codeChallengeMethod',
      '"codeChallengeMethod" must be "S256" with version 2.1 ("plain" is forbidden)',
    );
  }
}

/**
 * Asserts that `value` is a valid {@link OAuthConfig}: the schema (unknown keys and wrong types
 * are errors naming the field), what the grant type needs, what OAuth 2.1 forbids, and HTTPS on
 * every endpoint unless `enforceHttps` is off (2.0 only) or the endpoint is loopback and
 * `allowLoopbackHttp` is set. Reads no files: certificate files are checked when the service
 * prepares the configuration.
 *
 * @throws {OAuthError} `invalid-config` or `insecure-url`, with `pointer` set to the member's JSON pointer.
 *
 * @example
 * assertOAuthConfig(JSON.parse(text)); // throws OAuthError { code: 'invalid-config', pointer: '/tokenUrl' }
 */
export function assertOAuthConfig(value: unknown): asserts value is OAuthConfig {
  const validate = schemaValidator();
  if (!validate(value)) {
    const errors = validate.errors ?? [];
    // An unknown key is the most likely mistake (a typo); report it before its consequences.
    const first =
      errors.find((e) => e.keyword === 'additionalProperties') ??
      errors.find((e) => e.keyword !== 'anyOf' && !e.schemaPath.includes('/anyOf/')) ??
      errors[0];
    if (first === undefined) throw configError('', 'is invalid');
    if (first.schemaPath.includes('/anyOf/')) {
      throw describeSchemaError({ ...first, keyword: 'anyOf', instancePath: '/resource' });
    }
    throw describeSchemaError(first);
  }
  checkRules(value as OAuthConfig);
}
