import { inspect, type InspectOptions } from 'node:util';
import { maskSecret } from '@etdi/core';

/** What a {@link TokenSet} is built from. */
export interface TokenSetInit {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  tokenType?: string;
  /** Absolute expiry of the access token, epoch milliseconds. */
  expiresAt?: number;
  scope?: string;
}

/**
 * Tokens a provider obtained for the caller (after a refresh). They must go back to the caller,
 * so they are readable, but every way of showing the set masks them.
 */
export class TokenSet {
  readonly #accessToken: string;
  readonly #refreshToken: string | undefined;
  readonly #idToken: string | undefined;
  readonly tokenType: string;
  readonly expiresAt: number | undefined;
  readonly scope: string | undefined;

  constructor(init: TokenSetInit) {
    this.#accessToken = init.accessToken;
    this.#refreshToken = init.refreshToken;
    this.#idToken = init.idToken;
    this.tokenType = init.tokenType ?? 'Bearer';
    this.expiresAt = init.expiresAt;
    this.scope = init.scope;
  }

  get accessToken(): string {
    return this.#accessToken;
  }
  get refreshToken(): string | undefined {
    return this.#refreshToken;
  }
  get idToken(): string | undefined {
    return this.#idToken;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      accessToken: maskSecret(this.#accessToken, 4) || '****',
      tokenType: this.tokenType,
    };
    if (this.#refreshToken !== undefined)
      out.refreshToken = maskSecret(this.#refreshToken, 4) || '****';
    if (this.#idToken !== undefined) out.idToken = maskSecret(this.#idToken, 4) || '****';
    if (this.expiresAt !== undefined) out.expiresAt = this.expiresAt;
    if (this.scope !== undefined) out.scope = this.scope;
    return out;
  }

  toString(): string {
    return `TokenSet ${JSON.stringify(this.toJSON())}`;
  }

  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `TokenSet ${inspect(this.toJSON(), options)}`;
  }
}
