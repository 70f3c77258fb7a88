import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher } from 'undici';
import { basicClientAuthorization, parseScope, pemCertificates } from '@etdi/core';
import { OAuthError } from '../errors.js';
import { checkOAuthConfig, type CheckedGrant } from './check.js';
import type { MtlsConfig, OAuthGrantType, ScopeValidation } from './schema.js';

/** What every enabled grant type shares once prepared. */
export interface PreparedCommon {
  readonly enabled: true;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly audience: string | undefined;
  readonly organization: string | undefined;
  /** Requested scope, normalised (single spaces); '' when none. */
  readonly scope: string;
  readonly resources: readonly string[];
  readonly tokenExpiryBufferMs: number;
  readonly enforceHttps: boolean;
  readonly revocationUrl: string | undefined;
  readonly validateScopes: ScopeValidation;
  readonly additionalParams: readonly (readonly [string, string])[];
  /** Headers of every request to the authorization server, Basic client authentication included. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Client authentication in the form body (client_secret_post, a public client, mTLS):
   * `client_id` and perhaps `client_secret`. Empty with client_secret_basic.
   */
  readonly bodyAuth: readonly (readonly [string, string])[];
  /** The mTLS agent, when the configuration has a client certificate. */
  readonly dispatcher: Dispatcher | undefined;
  /** Stable id of what the token is for (no secrets in it): the default `configId`. */
  readonly fingerprint: string;
  /** Every secret of the configuration, to scrub from text the server echoes back. */
  readonly secrets: readonly string[];
}

/** A prepared configuration of one grant type, keyed by `grantType`. */
export type PreparedGrant = PreparedCommon & CheckedGrant;

/** A configuration with `enabled: false`: it names a cache key and nothing else. */
export interface PreparedDisabled {
  readonly enabled: false;
  readonly grantType: OAuthGrantType;
  readonly fingerprint: string;
}

/**
 * An {@link OAuthConfig} checked, with defaults applied and its files loaded: disabled, or a
 * union keyed on `grantType` in which each grant type has exactly the members it needs. Internal.
 */
export type PreparedConfig = PreparedGrant | PreparedDisabled;

function readPem(path: string, pointer: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new OAuthError(
      'mtls-unavailable',
      `mTLS ${what} file "${path}" cannot be read (${reason})`,
      { pointer, cause },
    );
  }
}

interface LoadedMtls {
  readonly cert: string;
  readonly key: string;
  /** The CA bundle's certificates, one PEM each. */
  readonly ca: string[] | undefined;
  readonly passphrase: string | undefined;
}

interface ParsedPem {
  readonly pem: string;
  readonly x509: X509Certificate;
}

/**
 * The certificates of a PEM file, each parsed: `@etdi/core`'s `pemCertificates` splits the
 * bundle, and a file without one, or with a block that does not parse, is refused by name.
 */
function certificatesOf(
  text: string,
  path: string,
  pointer: string,
  what: string,
): [ParsedPem, ...ParsedPem[]] {
  const pems = pemCertificates(text);
  if (pems.length === 0) {
    throw new OAuthError(
      'mtls-unavailable',
      `mTLS ${what} "${path}" does not hold a PEM certificate`,
      {
        pointer,
      },
    );
  }
  const parsed = pems.map((pem, i): ParsedPem => {
    try {
      return { pem, x509: new X509Certificate(pem) };
    } catch (cause) {
      throw new OAuthError(
        'mtls-unavailable',
        `mTLS ${what} "${path}": certificate ${i + 1} of ${pems.length} does not parse`,
        { pointer, cause },
      );
    }
  });
  return parsed as [ParsedPem, ...ParsedPem[]]; // not empty: checked above
}

function loadMtls(mtls: MtlsConfig, now: number): LoadedMtls {
  const cert = readPem(mtls.certPath, '/mtls/certPath', 'certificate');
  const key = readPem(mtls.keyPath, '/mtls/keyPath', 'private key');
  const caText =
    mtls.caPath === undefined ? undefined : readPem(mtls.caPath, '/mtls/caPath', 'CA bundle');

  // The leaf first; a chain may follow it in the same file, and goes to the server as it is.
  const { x509 } = certificatesOf(cert, mtls.certPath, '/mtls/certPath', 'certificate file')[0];
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
  const ca =
    caText === undefined || mtls.caPath === undefined
      ? undefined
      : certificatesOf(caText, mtls.caPath, '/mtls/caPath', 'CA bundle').map(({ pem }) => pem);
  return { cert, key, ca, passphrase: mtls.passphrase };
}

/**
 * Validates `config`, applies the defaults and loads the mTLS files. Everything that can be
 * wrong with a configuration fails here, once, at start-up; requests never meet it.
 *
 * @throws {OAuthError} `invalid-config`, `insecure-url` or `mtls-unavailable`.
 */
export function prepareConfig(value: unknown, now: number): PreparedConfig {
  const checked = checkOAuthConfig(value);
  const c = checked.config;
  const scope = parseScope(c.scope).join(' ');
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([
        c.grantType,
        c.tokenUrl,
        c.clientId,
        scope,
        c.audience,
        c.organization,
        checked.enabled ? checked.resources : [],
        c.authorizationUrl,
        c.redirectUri,
        c.additionalParams === undefined ? null : Object.entries(c.additionalParams).sort(),
      ]),
    )
    .digest('base64url')
    .slice(0, 16);
  if (!checked.enabled) return { enabled: false, grantType: c.grantType, fingerprint };

  const { clientId } = checked;
  const headers: Record<string, string> = { ...c.customHeaders };
  headers['accept'] = 'application/json';
  headers['content-type'] = 'application/x-www-form-urlencoded';
  const secrets: string[] = [];
  if (c.clientSecret !== undefined) secrets.push(c.clientSecret);
  if (c.refreshToken !== undefined) secrets.push(c.refreshToken);
  if (c.mtls?.passphrase !== undefined && c.mtls.passphrase !== '') secrets.push(c.mtls.passphrase);
  for (const header of Object.values(c.customHeaders ?? {}))
    if (header.length >= 8) secrets.push(header);
  const bodyAuth: (readonly [string, string])[] = [];
  if (c.clientSecret !== undefined && c.useBasicAuth) {
    const authorization = basicClientAuthorization(clientId, c.clientSecret);
    headers['authorization'] = authorization;
    secrets.push(authorization.slice('Basic '.length));
  } else {
    // client_secret_post, or a client that authenticates otherwise (public, mTLS) and names itself.
    bodyAuth.push(['client_id', clientId]);
    if (c.clientSecret !== undefined) bodyAuth.push(['client_secret', c.clientSecret]);
  }

  let dispatcher: Dispatcher | undefined;
  if (c.mtls !== undefined) {
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

  return {
    enabled: true,
    tokenUrl: checked.tokenUrl,
    clientId,
    audience: c.audience,
    organization: c.organization,
    scope,
    resources: checked.resources,
    tokenExpiryBufferMs: checked.tokenExpiryBufferMs,
    enforceHttps: c.enforceHttps,
    revocationUrl: c.revocationUrl,
    validateScopes: c.validateScopes,
    additionalParams: Object.entries(c.additionalParams ?? {}),
    headers,
    bodyAuth,
    dispatcher,
    fingerprint,
    secrets,
    ...checked.grant,
  };
}
