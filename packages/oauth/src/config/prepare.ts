import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher } from 'undici';
import { OAuthError } from '../errors.js';
import { assertOAuthConfig } from './assert.js';
import type {
  CodeChallengeMethod,
  MtlsConfig,
  OAuthConfig,
  OAuthGrantType,
  OAuthVersion,
  ScopeValidation,
} from './types.js';

/** An {@link OAuthConfig} checked, with defaults applied and its files loaded. Internal. */
export interface PreparedConfig {
  readonly enabled: boolean;
  readonly version: OAuthVersion;
  readonly grantType: OAuthGrantType;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly audience: string | undefined;
  readonly organization: string | undefined;
  /** Requested scope, normalised (single spaces); '' when none. */
  readonly scope: string;
  readonly resources: readonly string[];
  readonly usePkce: boolean;
  readonly authorizationUrl: string | undefined;
  readonly redirectUri: string | undefined;
  readonly codeChallengeMethod: CodeChallengeMethod;
  readonly tokenExpiryBufferMs: number;
  readonly useBasicAuth: boolean;
  readonly enforceHttps: boolean;
  readonly tokenInHeaderOnly: boolean;
  readonly tokenEnvVar: string;
  readonly revocationUrl: string | undefined;
  readonly validateScopes: ScopeValidation;
  readonly refreshToken: string | undefined;
  readonly additionalParams: readonly (readonly [string, string])[];
  /** Headers of every request to the authorization server, client authentication included. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the client secret goes in the form body (client_secret_post). */
  readonly secretInBody: boolean;
  /** The mTLS agent, when the configuration has a client certificate. */
  readonly dispatcher: Dispatcher | undefined;
  /** Stable id of what the token is for (no secrets in it): the default `configId`. */
  readonly fingerprint: string;
  /** Every secret of the configuration, to scrub from text the server echoes back. */
  readonly secrets: readonly string[];
}

/** Defaults of {@link OAuthConfig}, applied here and nowhere else. */
export const CONFIG_DEFAULTS = {
  enabled: true,
  version: '2.1',
  grantType: 'client_credentials',
  usePkce: true,
  codeChallengeMethod: 'S256',
  tokenExpiryBuffer: 300,
  useBasicAuth: true,
  enforceHttps: true,
  allowLoopbackHttp: false,
  tokenInHeaderOnly: true,
  tokenEnvVar: 'OAUTH_ACCESS_TOKEN',
  validateScopes: 'error',
} as const;

function formEncode(value: string): string {
  // application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks for Basic credentials.
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function readPem(path: string, field: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new OAuthError(
      'mtls-unavailable',
      `mTLS ${what} file "${path}" cannot be read (${reason})`,
      { pointer: field, cause },
    );
  }
}

interface LoadedMtls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
  readonly passphrase: string | undefined;
}

function loadMtls(mtls: MtlsConfig, now: number): LoadedMtls {
  const cert = readPem(mtls.certPath, '/mtls/certPath', 'certificate');
  const key = readPem(mtls.keyPath, '/mtls/keyPath', 'private key');
  const ca =
    mtls.caPath === undefined ? undefined : readPem(mtls.caPath, '/mtls/caPath', 'CA bundle');

  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (cause) {
    throw new OAuthError(
      'mtls-unavailable',
      `mTLS certificate file "${mtls.certPath}" does not hold a PEM certificate`,
      { pointer: '/mtls/certPath', cause },
    );
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key, format: 'pem', passphrase: mtls.passphrase });
  } catch {
    throw new OAuthError(
      'mtls-unavailable',
      `mTLS private key file "${mtls.keyPath}" does not hold a usable PEM private key` +
        (mtls.passphrase === undefined ? ' (encrypted keys need "passphrase")' : ''),
      // No `cause`: a parser error may quote key material.
      { pointer: '/mtls/keyPath' },
    );
  }
  if (!x509.checkPrivateKey(keyObject)) {
    throw new OAuthError(
      'mtls-unavailable',
      `mTLS private key "${mtls.keyPath}" does not belong to certificate "${mtls.certPath}"`,
      { pointer: '/mtls/keyPath' },
    );
  }
  const notAfter = Date.parse(x509.validTo);
  const notBefore = Date.parse(x509.validFrom);
  if (now > notAfter || now < notBefore) {
    throw new OAuthError(
      'mtls-unavailable',
      `mTLS certificate "${mtls.certPath}" is not valid now (valid ${x509.validFrom} to ${x509.validTo})`,
      { pointer: '/mtls/certPath' },
    );
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch (cause) {
      throw new OAuthError(
        'mtls-unavailable',
        `mTLS CA bundle "${mtls.caPath}" does not hold a PEM certificate`,
        { pointer: '/mtls/caPath', cause },
      );
    }
  }
  return { cert, key, ca, passphrase: mtls.passphrase };
}

/**
 * Validates `config`, applies the defaults and loads the mTLS files. Everything that can be
 * wrong with a configuration fails here, once, at start-up; requests never meet it.
 *
 * @throws {OAuthError} `invalid-config`, `insecure-url` or `mtls-unavailable`.
 */
export function prepareConfig(config: unknown, now: number): PreparedConfig {
  assertOAuthConfig(config);
  const c: OAuthConfig = config;
  const enabled = c.enabled ?? CONFIG_DEFAULTS.enabled;
  const clientSecret = c.clientSecret;
  const useBasicAuth = c.useBasicAuth ?? CONFIG_DEFAULTS.useBasicAuth;
  const scope = (c.scope ?? '').split(' ').filter(Boolean).join(' ');
  const resources =
    c.resource === undefined ? [] : typeof c.resource === 'string' ? [c.resource] : [...c.resource];

  const headers: Record<string, string> = { ...c.customHeaders };
  headers['accept'] = 'application/json';
  headers['content-type'] = 'application/x-www-form-urlencoded';
  const secrets: string[] = [];
  if (clientSecret !== undefined) secrets.push(clientSecret);
  if (c.refreshToken !== undefined) secrets.push(c.refreshToken);
  if (c.mtls?.passphrase !== undefined && c.mtls.passphrase !== '') secrets.push(c.mtls.passphrase);
  for (const value of Object.values(c.customHeaders ?? {}))
    if (value.length >= 8) secrets.push(value);
  const basic = clientSecret !== undefined && useBasicAuth;
  if (basic) {
    const credentials = Buffer.from(
      `${formEncode(c.clientId ?? '')}:${formEncode(clientSecret)}`,
      'utf8',
    ).toString('base64');
    headers['authorization'] = `Basic ${credentials}`;
    secrets.push(credentials);
  }

  let dispatcher: Dispatcher | undefined;
  if (enabled && c.mtls !== undefined) {
    const loaded = loadMtls(c.mtls, now);
    dispatcher = new Agent({
      connect: {
        cert: loaded.cert,
        key: loaded.key,
        ...(loaded.passphrase === undefined ? {} : { passphrase: loaded.passphrase }),
        ...(loaded.ca === undefined ? {} : { ca: loaded.ca }),
      },
    });
  }

  const grantType = c.grantType ?? CONFIG_DEFAULTS.grantType;
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([
        grantType,
        c.tokenUrl,
        c.clientId,
        scope,
        c.audience,
        c.organization,
        resources,
        c.authorizationUrl,
        c.redirectUri,
        c.additionalParams === undefined ? null : Object.entries(c.additionalParams).sort(),
      ]),
    )
    .digest('base64url')
    .slice(0, 16);

  return {
    enabled,
    version: c.version ?? CONFIG_DEFAULTS.version,
    grantType,
    tokenUrl: c.tokenUrl ?? '',
    clientId: c.clientId ?? '',
    clientSecret,
    audience: c.audience,
    organization: c.organization,
    scope,
    resources,
    usePkce: c.usePkce ?? CONFIG_DEFAULTS.usePkce,
    authorizationUrl: c.authorizationUrl,
    redirectUri: c.redirectUri,
    codeChallengeMethod: c.codeChallengeMethod ?? CONFIG_DEFAULTS.codeChallengeMethod,
    tokenExpiryBufferMs: (c.tokenExpiryBuffer ?? CONFIG_DEFAULTS.tokenExpiryBuffer) * 1000,
    useBasicAuth,
    enforceHttps: c.enforceHttps ?? CONFIG_DEFAULTS.enforceHttps,
    tokenInHeaderOnly: c.tokenInHeaderOnly ?? CONFIG_DEFAULTS.tokenInHeaderOnly,
    tokenEnvVar: c.tokenEnvVar ?? CONFIG_DEFAULTS.tokenEnvVar,
    revocationUrl: c.revocationUrl,
    validateScopes: c.validateScopes ?? CONFIG_DEFAULTS.validateScopes,
    refreshToken: c.refreshToken,
    additionalParams: Object.entries(c.additionalParams ?? {}),
    headers,
    secretInBody: clientSecret !== undefined && !useBasicAuth,
    dispatcher,
    fingerprint,
    secrets,
  };
}
