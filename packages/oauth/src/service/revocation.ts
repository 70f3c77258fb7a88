import { randomUUID } from 'node:crypto';
import { OAuthError } from '../errors.js';
import type { ResolvedServiceOptions } from '../options.js';
import { requestServer } from './authorization-server.js';
import { isEnabled, logFields, type Target } from './target.js';
import type { StoreContext } from './token-store.js';

/** Token types of RFC 7009 `token_type_hint`. */
export type RevokedTokenType = 'access_token' | 'refresh_token';

/** What {@link OAuthService.revoke} resolves to. The cache entry is cleared in both cases. */
export type RevocationResult =
  | { readonly ok: true; readonly revoked: readonly RevokedTokenType[] }
  | { readonly ok: false; readonly error: OAuthError };

/** RFC 7009 revocation of what the store holds for a target. */
export class Revocation {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  get #options(): ResolvedServiceOptions {
    return this.#context.options;
  }

  /**
   * Clears the target's cache entry, then revokes what it held at the configuration's
   * `revocationUrl`, the refresh token first (revoking it may revoke its access tokens too).
   */
  async revoke(target: Target): Promise<RevocationResult> {
    const correlationId = randomUUID();
    const fields = logFields(target, correlationId);
    const { logger } = this.#options;
    const { access, refresh } = await this.#context.store.forget(target, correlationId);
    if (access === undefined && refresh === undefined) {
      logger.info(fields, 'nothing cached to revoke');
      return { ok: true, revoked: [] };
    }
    const url = target.prepared.enabled ? target.prepared.revocationUrl : undefined;
    if (!isEnabled(target) || url === undefined) {
      logger.warn(fields, 'no revocationUrl: token dropped from the cache but not revoked');
      return { ok: true, revoked: [] };
    }
    const tokens: [RevokedTokenType, string][] = [];
    if (refresh !== undefined) tokens.push(['refresh_token', refresh.refreshToken]);
    if (access !== undefined) tokens.push(['access_token', access.accessToken]);
    const secrets = tokens.map(([, token]) => token);
    const revoked: RevokedTokenType[] = [];
    for (const [hint, token] of tokens) {
      const form = new URLSearchParams({ token, token_type_hint: hint });
      try {
        await requestServer(
          target,
          { what: 'revocation endpoint', url, form, correlationId, secrets },
          this.#options,
        );
        revoked.push(hint);
        this.#context.metrics.recordRevocation();
      } catch (thrown) {
        const cause = OAuthError.from(thrown, correlationId);
        if (cause.code === 'internal-error') {
          // Not the endpoint's answer: a bug or a dependency fault, reported as what it is.
          logger.error(
            { ...fields, code: cause.code, hint },
            `revocation failed: ${cause.message}`,
          );
          return { ok: false, error: cause };
        }
        logger.error(
          { ...fields, code: 'revocation-failed', cause: cause.code, status: cause.status, hint },
          `revocation failed: ${cause.message}`,
        );
        return {
          ok: false,
          error: new OAuthError(
            'revocation-failed',
            `could not revoke the ${hint}: ${cause.message}`,
            {
              cause,
              status: cause.status,
              oauthError: cause.oauthError,
              correlationId,
              attempts: cause.attempts,
            },
          ),
        };
      }
    }
    logger.info({ ...fields, revoked }, 'token revoked');
    return { ok: true, revoked };
  }
}
