import { compileSchema } from '@etdi/core';
import type { ValidateFunction } from 'ajv';
import Type, { type Static } from 'typebox';
import { OAuthError } from './errors.js';

/** The members of an RFC 6749 §5.1 token response the service uses. */
export interface TokenResponse {
  readonly accessToken: string;
  /** Seconds, when the server said. */
  readonly expiresInSec: number | undefined;
  readonly refreshToken: string | undefined;
  /** Seconds the refresh token lives, when the server said (Keycloak `refresh_expires_in`). */
  readonly refreshExpiresInSec: number | undefined;
  readonly scope: string | undefined;
}

// Servers that answer form-encoded (GitHub's legacy default) send numbers as strings.
const Seconds = Type.Union([
  Type.Number({ minimum: 0 }),
  Type.String({ pattern: '^[0-9]{1,10}$' }),
]);

/** A 2xx token endpoint body (RFC 6749 §5.1); other members are allowed and ignored. */
const TokenResponseBodySchema = Type.Object({
  access_token: Type.String({ minLength: 1 }),
  token_type: Type.Optional(Type.String()),
  expires_in: Type.Optional(Seconds),
  refresh_token: Type.Optional(Type.String({ minLength: 1 })),
  refresh_expires_in: Type.Optional(Seconds),
  scope: Type.Optional(Type.String()),
});

type TokenResponseBody = Static<typeof TokenResponseBodySchema>;

let validator: ValidateFunction<TokenResponseBody> | undefined;

function seconds(value: number | string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/**
 * Checks a 2xx token endpoint body (RFC 6749 §5.1) and picks out what the service keeps. Numbers
 * sent as strings are accepted. A token type other than Bearer is refused: the service cannot
 * produce DPoP or MAC proofs.
 *
 * @throws {OAuthError} `invalid-response`, naming the member but never quoting a value.
 */
export function parseTokenResponse(
  body: Record<string, unknown> | undefined,
  what: string,
  correlationId: string,
): TokenResponse {
  validator ??= compileSchema<TokenResponseBody>(TokenResponseBodySchema);
  if (body === undefined || !validator(body)) {
    const first = validator.errors?.[0];
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const member = first?.instancePath.slice(1).split('/')[0] ?? '';
    const detail =
      body === undefined
        ? 'no JSON object'
        : missing !== undefined
          ? `"${missing}" missing`
          : `"${member}" invalid`;
    throw new OAuthError(
      'invalid-response',
      `${what} answered without a usable token (${detail})`,
      { correlationId },
    );
  }
  const tokenType = body.token_type;
  if (tokenType !== undefined && tokenType.toLowerCase() !== 'bearer') {
    throw new OAuthError(
      'invalid-response',
      `${what} issued a "${tokenType.slice(0, 20)}" token; only Bearer tokens are supported`,
      { correlationId },
    );
  }
  return {
    accessToken: body.access_token,
    expiresInSec: seconds(body.expires_in),
    refreshToken: body.refresh_token,
    refreshExpiresInSec: seconds(body.refresh_expires_in),
    scope: body.scope,
  };
}
