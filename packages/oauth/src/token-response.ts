import { Ajv, type ValidateFunction } from 'ajv';
import { OAuthError } from './errors.js';

/** The members of an RFC 6749 §5.1 token response the service uses. */
export interface TokenResponse {
  readonly accessToken: string;
  /** Seconds, when the server said. */
  readonly expiresIn: number | undefined;
  readonly refreshToken: string | undefined;
  /** Seconds the refresh token lives, when the server said (Keycloak `refresh_expires_in`). */
  readonly refreshExpiresIn: number | undefined;
  readonly scope: string | undefined;
}

const SECONDS = {
  anyOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^[0-9]{1,10}$' },
  ],
} as const;

const RESPONSE_SCHEMA = {
  type: 'object',
  required: ['access_token'],
  properties: {
    access_token: { type: 'string', minLength: 1 },
    token_type: { type: 'string' },
    expires_in: SECONDS,
    refresh_token: { type: 'string', minLength: 1 },
    refresh_expires_in: SECONDS,
    scope: { type: 'string' },
  },
} as const;

let validator: ValidateFunction | undefined;

/**
 * Checks a 2xx token endpoint body (RFC 6749 §5.1) and picks out what the service keeps. Servers
 * that answer form-encoded (GitHub's legacy default) send numbers as strings; both are accepted.
 * A token type other than Bearer is refused: the service cannot produce DPoP or MAC proofs.
 *
 * @throws {OAuthError} `invalid-response`, naming the member but never quoting a value.
 */
export function parseTokenResponse(
  body: Record<string, unknown> | undefined,
  what: string,
  correlationId: string,
): TokenResponse {
  validator ??= new Ajv({ strict: true, allErrors: false }).compile(RESPONSE_SCHEMA);
  if (body === undefined || !validator(body)) {
    const member = validator.errors?.[0]?.instancePath.slice(1) ?? '';
    const missing = (validator.errors?.[0]?.params as { missingProperty?: string } | undefined)
      ?.missingProperty;
    const detail =
      body === undefined
        ? 'no JSON object'
        : missing !== undefined
          ? `"${missing}" missing`
          : `"${member.split('/')[0]}" invalid`;
    throw new OAuthError(
      'invalid-response',
      `${what} answered without a usable token (${detail})`,
      {
        correlationId,
      },
    );
  }
  const tokenType = body.token_type;
  if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
    throw new OAuthError(
      'invalid-response',
      `${what} issued a "${tokenType.slice(0, 20)}" token; only Bearer tokens are supported`,
      { correlationId },
    );
  }
  const seconds = (value: unknown) => (value === undefined ? undefined : Number(value));
  return {
    accessToken: body.access_token as string,
    expiresIn: seconds(body.expires_in),
    refreshToken: body.refresh_token as string | undefined,
    refreshExpiresIn: seconds(body.refresh_expires_in),
    scope: body.scope as string | undefined,
  };
}
