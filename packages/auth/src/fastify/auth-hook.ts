import type { AuthRequest } from '../extract/extract-credentials.js';
import { httpStatusFor } from '../http-status.js';
import type { AuthResult } from '../result.js';

/** What the hook needs of a reply; a Fastify reply fits. */
export interface AuthHookReply {
  code(statusCode: number): AuthHookReply;
  header(name: string, value: string | string[]): AuthHookReply;
  send(payload?: unknown): AuthHookReply;
}

/** Anything that authenticates a request: an `Authenticator`, or your own wrapper. */
export interface RequestAuthenticator {
  authenticateRequest(request: AuthRequest): Promise<AuthResult>;
  readonly chain?: { supportedMethods(): readonly string[] };
}

/** Options of {@link authHook}. */
export interface AuthHookOptions<Request extends AuthRequest = AuthRequest> {
  /** Requests that skip authentication: health checks, the RFC 9728 metadata document. */
  skip?: (request: Request) => boolean;
  /** `realm` of the `WWW-Authenticate` challenge. Default `etdi`. */
  realm?: string;
  /** RFC 9728 protected resource metadata URL, sent as `resource_metadata` in challenges. */
  resourceMetadataUrl?: string;
  /** Let anonymous acceptances (client auth disabled) through. Default true. */
  allowAnonymous?: boolean;
  /**
   * Receives every successful result. Default: `request.auth = result`; declare it once with
   * `app.decorateRequest('auth', null)` so Fastify keeps the request shape stable.
   */
  onAuthenticated?: (request: Request, result: AuthResult) => void;
}

function quoted(value: string): string {
  return `"${value.replace(/["\\\r\n]/g, ' ')}"`;
}

/**
 * The challenges of a refused request: RFC 6750 `Bearer` (with `error` and
 * `resource_metadata` per RFC 9728), plus `Basic` when the chain accepts Basic credentials.
 */
export function wwwAuthenticate(
  result: AuthResult,
  options: { realm?: string; resourceMetadataUrl?: string; basic?: boolean } = {},
): string[] {
  const params = [`realm=${quoted(options.realm ?? 'etdi')}`];
  // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
  if (result.error !== 'no-credentials') {
    const code =
      result.status === 'insufficient_permissions'
        ? 'insufficient_scope'
        : result.status === 'error' || result.status === 'rate_limited'
          ? undefined
          : result.error === 'malformed-credentials' || result.error === 'unsupported-scheme'
            ? 'invalid_request'
            : 'invalid_token';
    if (code) params.push(`error=${quoted(code)}`, `error_description=${quoted(result.message)}`);
  }
  if (options.resourceMetadataUrl)
    params.push(`resource_metadata=${quoted(options.resourceMetadataUrl)}`);
  const challenges = [`Bearer ${params.join(', ')}`];
  if (options.basic)
    challenges.push(`Basic realm=${quoted(options.realm ?? 'etdi')}, charset="UTF-8"`);
  return challenges;
}

/**
 * A Fastify `onRequest` hook that authenticates every request through the authenticator and
 * answers refusals itself: 401 with `WWW-Authenticate`, 403, 429 with `Retry-After`, or 503
 * when a dependency failed. Register it once, at the root, before the routes: every route —
 * including those in encapsulated plugins — then runs the same chain, so a trusted proxy header
 * works on all of them or on none.
 *
 * @example
 * app.decorateRequest('auth', null);
 * app.addHook('onRequest', authHook(auth, { skip: (req) => req.url === '/healthz' }));
 */
export function authHook<Request extends AuthRequest>(
  authenticator: RequestAuthenticator,
  options: AuthHookOptions<Request> = {},
): (request: Request, reply: AuthHookReply) => Promise<AuthHookReply | undefined> {
  const allowAnonymous = options.allowAnonymous ?? true;
  const onAuthenticated =
    options.onAuthenticated ??
    ((request: Request, result: AuthResult) => {
      (request as Request & { auth?: AuthResult | null }).auth = result;
    });
  const basic = authenticator.chain?.supportedMethods().includes('basic_auth') ?? false;
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
      const challenges = wwwAuthenticate(result, {
        ...(options.realm === undefined ? {} : { realm: options.realm }),
        ...(options.resourceMetadataUrl === undefined
          ? {}
          : { resourceMetadataUrl: options.resourceMetadataUrl }),
        basic,
      });
      reply.header('www-authenticate', challenges.length === 1 ? challenges[0]! : challenges);
    }
    if (result.retryAfterMs !== undefined) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))));
    }
    reply.header('cache-control', 'no-store');
    // Returning the reply tells Fastify the async hook has answered.
    return reply.send({
      error: result.isSuccess ? 'no-credentials' : result.error,
      status: result.isSuccess ? 'failure' : result.status,
      message: result.isSuccess ? 'Anonymous access is not allowed' : result.message,
    });
  };
}
