import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { OAuthError } from '../errors.js';
import { scrub } from '../http/scrub.js';
import type { ResolvedServiceOptions } from '../options.js';
import { createPkcePair } from '../pkce.js';
import type { CodeTarget, TokenRequestOptions } from './target.js';

/** Options of {@link OAuthService.createAuthorizationUrl}. */
export interface AuthorizationUrlOptions extends TokenRequestOptions {
  /**
   * The user's browser session: its session id, or any unguessable value the host keeps for this
   * browser (an HttpOnly cookie). Required. {@link OAuthService.completeAuthorization} accepts
   * the callback only with the same value, which ties `state` to the browser that started the
   * flow: a callback carrying someone else's `state` (login CSRF) is refused. Stored hashed.
   */
  readonly session: string;
}

/** An authorization the gateway started: send the user's browser to `url`. */
export interface AuthorizationRequest {
  readonly url: string;
  /** The `state` the callback brings back (the service already tied it to the session). */
  readonly state: string;
  /** After this (service clock, ms since the epoch) the callback is refused. */
  readonly expiresAt: number;
}

/** The redirect the authorization server sent the browser back with. */
export type AuthorizationCallback =
  string | URL | URLSearchParams | Readonly<Record<string, string | undefined>>;

/** Options of {@link OAuthService.completeAuthorization}. */
export interface CompleteAuthorizationOptions {
  /**
   * The session of the browser the callback arrived from: the same value given to
   * `createAuthorizationUrl`. Required; a callback from another session is refused with
   * `state-mismatch` and the flow stays open for its own session.
   */
  readonly session: string;
}

/** A callback that may be exchanged: its flow's target, the code, and the PKCE verifier. */
export type ClaimedAuthorization =
  | {
      readonly ok: true;
      readonly target: CodeTarget;
      readonly code: string;
      readonly verifier: string | undefined;
    }
  | { readonly ok: false; readonly error: OAuthError };

interface PendingAuthorization {
  readonly target: CodeTarget;
  readonly verifier: string | undefined;
  readonly expiresAt: number;
  /** SHA-256 (hex) of the session that started the flow. */
  readonly session: string;
}

function callbackParams(callback: AuthorizationCallback): URLSearchParams {
  if (callback instanceof URLSearchParams) return callback;
  if (callback instanceof URL) return callback.searchParams;
  if (typeof callback === 'string') {
    // An absolute URL, a request path with its query (Fastify's `request.url`), or a bare query.
    if (/^[a-z][a-z0-9+.-]*:/i.test(callback)) return new URL(callback).searchParams;
    const query = callback.includes('?') ? callback.slice(callback.indexOf('?') + 1) : callback;
    const hash = query.indexOf('#');
    return new URLSearchParams(hash < 0 ? query : query.slice(0, hash));
  }
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(callback))
    if (value !== undefined) params.set(name, value);
  return params;
}

function sessionDigest(session: string): string {
  return createHash('sha256').update('etdi-oauth-session\0').update(session).digest('hex');
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authorization-code flows started and not yet completed, by `state` and by browser session:
 * PKCE verifiers that never leave the service, one callback per `state`, bounds per session and
 * in all.
 */
export class PendingAuthorizations {
  readonly #options: ResolvedServiceOptions;
  /** Pending authorizations by `state`, oldest first. */
  readonly #pending = new Map<string, PendingAuthorization>();
  /** The pending `state`s of each session (by digest), oldest first. */
  readonly #pendingBySession = new Map<string, string[]>();

  constructor(options: ResolvedServiceOptions) {
    this.#options = options;
  }

  /**
   * Starts a flow for `target` bound to `session`: the authorization URL with a fresh `state`
   * and PKCE challenge.
   *
   * @throws {OAuthError} `too-many-authorizations` when `maxPendingAuthorizations` unexpired
   * flows are pending.
   */
  start(target: CodeTarget, session: string): AuthorizationRequest {
    const { prepared, server } = target;
    const now = this.#options.now();
    this.#dropExpired(now);
    const digest = sessionDigest(session);
    const mine = this.#pendingBySession.get(digest) ?? [];
    // A session over its own cap loses its own oldest flow, never anyone else's.
    while (mine.length >= this.#options.maxPendingAuthorizationsPerSession) {
      const oldest = mine.shift();
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
    if (this.#pending.size >= this.#options.maxPendingAuthorizations) {
      if (mine.length === 0) this.#pendingBySession.delete(digest);
      this.#options.logger.warn(
        { server, projectId: target.projectId, code: 'too-many-authorizations' },
        'authorization refused: too many pending authorizations',
      );
      throw new OAuthError(
        'too-many-authorizations',
        `${this.#options.maxPendingAuthorizations} authorizations are pending; try again once some complete or expire`,
      );
    }
    const state = randomBytes(32).toString('base64url');
    const pkce = prepared.pkce === undefined ? undefined : createPkcePair(prepared.pkce);
    const url = new URL(prepared.authorizationUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', prepared.clientId);
    url.searchParams.set('redirect_uri', prepared.redirectUri);
    if (prepared.scope !== '') url.searchParams.set('scope', prepared.scope);
    url.searchParams.set('state', state);
    if (pkce !== undefined) {
      url.searchParams.set('code_challenge', pkce.challenge);
      url.searchParams.set('code_challenge_method', pkce.method);
    }
    for (const resource of prepared.resources) url.searchParams.append('resource', resource);
    if (prepared.audience !== undefined) url.searchParams.set('audience', prepared.audience);
    if (prepared.organization !== undefined) {
      url.searchParams.set('organization', prepared.organization);
    }
    const expiresAt = now + this.#options.authorizationTtlMs;
    this.#pending.set(state, { target, verifier: pkce?.verifier, expiresAt, session: digest });
    mine.push(state);
    this.#pendingBySession.set(digest, mine);
    this.#options.logger.info(
      {
        server,
        projectId: target.projectId,
        configId: target.configId,
        pkce: pkce?.method ?? 'none',
      },
      'authorization started',
    );
    return { url: url.toString(), state, expiresAt };
  }

  /** Forgets expired pending authorizations (the oldest first; nothing unexpired). */
  #dropExpired(now: number): void {
    for (const [state, pending] of this.#pending) {
      if (pending.expiresAt <= now) this.#forget(state, pending);
    }
  }

  #forget(state: string, pending: PendingAuthorization): void {
    this.#pending.delete(state);
    const states = this.#pendingBySession.get(pending.session);
    if (states === undefined) return;
    const at = states.indexOf(state);
    if (at >= 0) states.splice(at, 1);
    if (states.length === 0) this.#pendingBySession.delete(pending.session);
  }

  /**
   * Checks a callback: `state` known, unexpired, unused and started by this session; no `error`
   * from the authorization server; a `code`. A claimed flow is consumed (a `state` is good for
   * one callback only); a flow of another session stays open for it.
   */
  claim(
    callback: AuthorizationCallback,
    options: CompleteAuthorizationOptions | undefined,
  ): ClaimedAuthorization {
    let params: URLSearchParams;
    try {
      params = callbackParams(callback);
    } catch (error) {
      return {
        ok: false,
        error: new OAuthError('invalid-argument', 'authorization callback is not a URL', {
          cause: error,
        }),
      };
    }
    const state = params.get('state');
    const mismatch = (why: string): ClaimedAuthorization => {
      this.#options.logger.warn(
        { code: 'state-mismatch' },
        `authorization callback refused: ${why}`,
      );
      return {
        ok: false,
        error: new OAuthError('state-mismatch', `authorization callback refused: ${why}`),
      };
    };
    const session = (options as Partial<CompleteAuthorizationOptions> | undefined)?.session;
    if (typeof session !== 'string' || session === '') {
      return mismatch('no "session" to tie the callback to the browser that started the flow');
    }
    if (state === null) return mismatch('no "state" parameter');
    const pending = this.#pending.get(state);
    if (pending === undefined) return mismatch('unknown or already used "state"');
    if (this.#options.now() >= pending.expiresAt) {
      this.#forget(state, pending);
      return mismatch('the authorization expired');
    }
    if (!sameString(pending.session, sessionDigest(session))) {
      // Not consumed: the flow belongs to another session, which may still complete it.
      return mismatch('"state" was not started by this session');
    }
    this.#forget(state, pending); // a state is good for one callback only

    const { target } = pending;
    const denied = params.get('error');
    if (denied !== null) {
      const secrets = target.prepared.secrets;
      const description = params.get('error_description');
      const detail =
        scrub(denied, secrets) + (description === null ? '' : `: ${scrub(description, secrets)}`);
      this.#options.logger.warn(
        { server: target.server, projectId: target.projectId, code: 'authorization-denied' },
        `authorization denied (${detail})`,
      );
      return {
        ok: false,
        error: new OAuthError(
          'authorization-denied',
          `authorization denied for server "${target.server}" (${detail})`,
          { oauthError: scrub(denied, secrets) },
        ),
      };
    }
    const code = params.get('code');
    if (code === null || code === '') {
      return {
        ok: false,
        error: new OAuthError(
          'invalid-argument',
          'authorization callback has neither "code" nor "error"',
        ),
      };
    }
    return { ok: true, target, code, verifier: pending.verifier };
  }

  /** Forgets every pending flow. */
  clear(): void {
    this.#pending.clear();
    this.#pendingBySession.clear();
  }
}
