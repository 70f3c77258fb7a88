import type { OAuthServiceOptions } from './options.js';
import { OAuthService } from './service.js';

/**
 * Creates the gateway's upstream OAuth token service. One per gateway process; share it across
 * upstreams and requests.
 *
 * @throws {OAuthError} `invalid-argument` for options it cannot use (a `retry.retries` that is
 * not a non-negative integer, a pending authorization bound that is not a positive integer).
 *
 * @example
 * const oauth = createOAuthService({
 *   cache: new RedisTokenCache({ url: process.env.REDIS_URL!, encryptionKey: process.env.ETDI_TOKEN_CACHE_KEY! }),
 *   logger: app.log,
 * });
 * oauth.prepare(upstream.oauth); // at start-up: bad config or unreadable mTLS files stop here
 * const result = await oauth.getAccessToken(upstream.name, upstream.oauth, { projectId });
 */
export function createOAuthService(options: OAuthServiceOptions = {}): OAuthService {
  return new OAuthService(options);
}
