import { errorMessage, type Logger } from '@etdi/core';
import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
} from 'jose';
import { AuthError } from '../errors.js';

/** Options of {@link RemoteJwks}. */
export interface RemoteJwksOptions {
  url: URL;
  /** Refetch the set after this long even when every `kid` is known. Default 10 min. */
  cacheMaxAgeMs?: number;
  /**
   * At most one fetch per this interval, whatever triggers it (unknown `kid`s, failures): a
   * flood of tokens with made-up key ids cannot turn the gateway against the JWKS server.
   * Default 30 s.
   */
  cooldownMs?: number;
  /** When a refetch fails, keep using the last good set for this long past its age. 1 h. */
  staleIfErrorMs?: number;
  /** Per fetch. Default 5 s. */
  timeoutMs?: number;
  /** Largest JWKS document accepted. Default 512 KiB. */
  maxBytes?: number;
  now?: () => number;
  fetch?: typeof fetch;
  logger: Logger;
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;
type ResolvedKey = Awaited<ReturnType<KeyResolver>>;

/**
 * A JWKS fetched from a URL, kept in memory, refetched when it is older than its maximum age or
 * when a token names a `kid` it does not hold (key rotation), never more often than the
 * cooldown allows. Key selection is jose's `createLocalJWKSet`. Only public asymmetric keys are
 * kept: a symmetric (`oct`) or private key in a published set is dropped, never used.
 *
 * jose's `createRemoteJWKSet` does most of this; this wrapper adds an injectable clock (tests
 * never sleep), a bounded refetch rate on failures too, stale-if-error, and a size limit.
 */
export class RemoteJwks {
  readonly #url: URL;
  readonly #cacheMaxAgeMs: number;
  readonly #cooldownMs: number;
  readonly #staleIfErrorMs: number;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  readonly #logger: Logger;
  #local: KeyResolver | undefined;
  #fetchedAt = -Infinity;
  #attemptedAt = -Infinity;
  #pending: Promise<void> | undefined;
  #lastError: unknown;
  /** Completed fetches (successful or not); tests and metrics read it. */
  fetches = 0;

  constructor(options: RemoteJwksOptions) {
    this.#url = options.url;
    this.#cacheMaxAgeMs = options.cacheMaxAgeMs ?? 600_000;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#staleIfErrorMs = options.staleIfErrorMs ?? 3_600_000;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#maxBytes = options.maxBytes ?? 512 * 1024;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? fetch;
    this.#logger = options.logger;
  }

  /** The jose key resolver: pass it to `jwtVerify`. */
  readonly getKey = async (
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<ResolvedKey> => {
    const now = this.#now();
    if (!this.#local || now - this.#fetchedAt >= this.#cacheMaxAgeMs) {
      await this.#reloadIfAllowed(now, true);
    }
    const local = this.#local;
    if (!local) throw this.#unavailable();
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // An unknown kid: the issuer may have rotated keys. Refetch, within the cooldown.
      if (!(await this.#reloadIfAllowed(this.#now(), false))) throw error;
      return this.#local!(header, token);
    }
  };

  #unavailable(): AuthError {
    return new AuthError('fetch-failed', `JWKS ${this.#url.href} is unavailable`, {
      cause: this.#lastError,
    });
  }

  /** Whether a fetch happened (and succeeded). A failed fetch keeps the last good set. */
  async #reloadIfAllowed(now: number, needed: boolean): Promise<boolean> {
    if (!this.#pending && now - this.#attemptedAt < this.#cooldownMs) {
      if (needed && !this.#usable(now)) throw this.#unavailable();
      return false;
    }
    this.#pending ??= this.#reload(now).finally(() => {
      this.#pending = undefined;
    });
    try {
      await this.#pending;
      return true;
    } catch {
      if (needed && !this.#usable(this.#now())) throw this.#unavailable();
      return false;
    }
  }

  #usable(now: number): boolean {
    return (
      this.#local !== undefined &&
      now - this.#fetchedAt < this.#cacheMaxAgeMs + this.#staleIfErrorMs
    );
  }

  async #reload(now: number): Promise<void> {
    this.#attemptedAt = now;
    try {
      const jwks = await this.#download();
      this.#local = createLocalJWKSet(jwks);
      this.#fetchedAt = this.#now();
      this.#lastError = undefined;
    } catch (error) {
      this.#lastError = error;
      this.#logger.warn(
        {
          url: this.#url.href,
          error: errorMessage(error),
        },
        'JWKS fetch failed',
      );
      throw error;
    } finally {
      this.fetches++;
    }
  }

  async #download(): Promise<JSONWebKeySet> {
    const response = await this.#fetch(this.#url, {
      method: 'GET',
      redirect: 'error',
      signal: AbortSignal.timeout(this.#timeoutMs),
      headers: { accept: 'application/jwk-set+json, application/json' },
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`JWKS answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > this.#maxBytes) {
      await response.body?.cancel();
      throw new Error(`JWKS is ${declared} bytes; at most ${this.#maxBytes} are accepted`);
    }
    const text = await response.text();
    if (Buffer.byteLength(text) > this.#maxBytes) {
      throw new Error(`JWKS is larger than ${this.#maxBytes} bytes`);
    }
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      !Array.isArray((parsed as { keys?: unknown }).keys)
    ) {
      throw new Error('JWKS is not a JSON object with a "keys" array');
    }
    const keys = (parsed as { keys: unknown[] }).keys.filter((key): key is JWK => {
      if (typeof key !== 'object' || key === null) return false;
      const jwk = key as JWK;
      const usable =
        (jwk.kty === 'RSA' || jwk.kty === 'EC' || jwk.kty === 'OKP') && jwk.d === undefined;
      if (!usable) {
        this.#logger.warn(
          {
            url: this.#url.href,
            kid: jwk.kid,
            kty: jwk.kty,
          },
          'JWKS key dropped: only public asymmetric keys are used',
        );
      }
      return usable;
    });
    return { keys };
  }
}
