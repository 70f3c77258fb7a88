import { inspect } from 'node:util';
import { maskSecret } from '@etdi/core';
import type { OAuthError } from './errors.js';

/**
 * An access token the gateway obtained for itself. The raw value is reachable only through
 * `value` (and `authorization`); `toString`, `toJSON` and `util.inspect` show it masked, so a
 * token that slips into a log line or a serialized object stays unreadable.
 */
export class AccessToken {
  readonly #value: string;
  /** Always `Bearer`: other token types (DPoP, MAC) are refused when the token is issued. */
  readonly tokenType = 'Bearer' as const;
  /** Expiry as milliseconds since the epoch (by the service clock). */
  readonly expiresAt: number;
  /** The granted scope (space-separated), as the authorization server reported it. */
  readonly scope: string | undefined;

  constructor(value: string, expiresAt: number, scope?: string) {
    this.#value = value;
    this.expiresAt = expiresAt;
    this.scope = scope;
  }

  /** The raw token. Handle with care: never log it. */
  get value(): string {
    return this.#value;
  }

  /** The `Authorization` header value: `Bearer <token>`. */
  get authorization(): string {
    return `Bearer ${this.#value}`;
  }

  toString(): string {
    return `Bearer ${maskSecret(this.#value)}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      tokenType: this.tokenType,
      value: maskSecret(this.#value),
      expiresAt: this.expiresAt,
      scope: this.scope,
    };
  }

  [inspect.custom](): string {
    return `AccessToken ${JSON.stringify(this.toJSON())}`;
  }
}

/**
 * What {@link OAuthService.getAccessToken} (and `completeAuthorization`) resolves to: a token, or
 * the reason there is none, discriminated by `ok` as every never-throwing operation of the family
 * is. It never rejects, so the per-request path needs no `try`.
 *
 * @example
 * const result = await oauth.getAccessToken('github', config);
 * if (!result.ok) return reply.code(502).send({ code: result.error.code });
 * headers.authorization = result.token.authorization;
 */
export type TokenResult =
  | { readonly ok: true; readonly token: AccessToken }
  | { readonly ok: false; readonly error: OAuthError };
