import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthRequest } from '../extract/extract-credentials.js';
import { httpStatusFor } from '../http-status.js';
import type { AuthResult } from '../result.js';
import { wwwAuthenticate } from './www-authenticate.js';

/** Anything that authenticates a request: an `Authenticator`, or your own wrapper. */
export interface RequestAuthenticator {
  authenticateRequest(request: AuthRequest): Promise<AuthResult>;
  readonly chain?: { supportedMethods(): readonly string[] };
}

/** Options of {@link authHook} (and of the `etdiAuth` plugin). */
export interface AuthHookOptions {
  /** Requests that skip authentication: health checks, the RFC 9728 metadata document. */
  skip?: (request: FastifyRequest) => boolean;
  /** `realm` of the `WWW-Authenticate` challenge. Default `etdi`. */
  realm?: string;
  /**
   * RFC 9728 protected resource metadata URL, sent as `resource_metadata` in challenges: one URL,
   * or a function of the request for a URL per route (a gateway's `/servers/{name}/mcp`).
   */
  resourceMetadataUrl?: string | ((request: FastifyRequest) => string | undefined);
  /** Let anonymous acceptances (client auth disabled) through. Default true. */
  allowAnonymous?: boolean;
  /** Receives every successful result. Default: `request.auth = result`. */
  onAuthenticated?: (request: FastifyRequest, result: AuthResult) => void;
}

/** An async Fastify `onRequest` hook, as {@link authHook} returns it. */
export type AuthHookHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<FastifyReply | undefined>;

function setAuth(request: FastifyRequest, result: AuthResult): void {
  request.auth = result;
}

/**
 * A Fastify `onRequest` hook that authenticates a request through the authenticator and answers
 * refusals itself, as RFC 9457 problem details (`application/problem+json`, with the failure code
 * in `code`): 401 with `WWW-Authenticate`, 403, 429 with `Retry-After`, or 503 when a dependency
 * failed. On success, `request.auth` holds the result. The `etdiAuth` plugin registers it for you
 * (on every route, or on the routes that ask with `onRequest: app.requireAuth`).
 *
 * @example
 * app.decorateRequest('auth', null);
 * app.addHook('onRequest', authHook(auth, { skip: (req) => req.url === '/healthz' }));
 */
export function authHook(
  authenticator: RequestAuthenticator,
  options: AuthHookOptions = {},
): AuthHookHandler {
  const allowAnonymous = options.allowAnonymous ?? true;
  const onAuthenticated = options.onAuthenticated ?? setAuth;
  const metadataUrl = options.resourceMetadataUrl;
  const basic = authenticator.chain?.supportedMethods().includes('basic-auth') ?? false;
  return async (request, reply) => {
    if (options.skip?.(request)) return undefined;
    const result = await authenticator.authenticateRequest(request);
    if (result.isSuccess && (allowAnonymous || !result.anonymous)) {
      onAuthenticated(request, result);
      return undefined;
    }
    const status = result.isSuccess ? 401 : httpStatusFor(result.status);
    reply.code(status);
    if (status === 401 || status === 403) {
      const resourceMetadataUrl =
        typeof metadataUrl === 'function' ? metadataUrl(request) : metadataUrl;
      const challenges = wwwAuthenticate(result, {
        ...(options.realm === undefined ? {} : { realm: options.realm }),
        ...(resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl }),
        basic,
      });
      reply.header('www-authenticate', challenges.length === 1 ? challenges[0]! : challenges);
    }
    if (result.retryAfterMs !== undefined) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))));
    }
    reply.header('cache-control', 'no-store');
    reply.header('content-type', 'application/problem+json; charset=utf-8');
    // Returning the reply tells Fastify the async hook has answered.
    return reply.send({
      type: 'about:blank',
      title: STATUS_CODES[status],
      status,
      detail: result.isSuccess ? 'Anonymous access is not allowed' : result.message,
      code: result.isSuccess ? 'no-credentials' : result.error,
    });
  };
}
