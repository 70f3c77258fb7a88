import type { Logger } from '@etdi/core';
import Type, { type Static } from 'typebox';
import { NonEmptyString, PositiveInteger, Runtime } from './config/schema-parts.js';
import type { SessionStore } from './sessions/session-store.js';

/** The options every provider accepts, as schema properties each provider's schema spreads. */
export const BASE_PROVIDER_OPTIONS = {
  /** Name in the registry and in `AuthResult.source`. Each provider has a default. */
  name: Type.Optional(NonEmptyString),
  /** Where decisions are logged (redacted; pino's `app.log` fits). Default: nothing is logged. */
  logger: Type.Optional(Runtime<Logger>()),
  /** Clock, epoch milliseconds. Default `Date.now`; tests inject one instead of sleeping. */
  now: Type.Optional(Runtime<() => number>()),
  /**
   * Opens a session on each success when set, so `validateSession` and `refreshAuthentication`
   * have something to work on. Leave unset on a hot path that authenticates every request.
   */
  sessions: Type.Optional(Runtime<SessionStore>()),
  /** Upper bound of a session's life; never beyond the credential's own expiry. Default 1 h. */
  sessionTtlMs: Type.Optional(PositiveInteger),
};

/**
 * The options of providers that check bearer tokens with a server's help (the JWT provider's
 * JWKS, the OAuth2 provider's authorization server).
 */
export const TOKEN_PROVIDER_OPTIONS = {
  /** Longest token accepted, in characters. Default 8192. */
  maxTokenLength: Type.Optional(PositiveInteger),
  /** For requests to the server. Default global `fetch`. */
  fetch: Type.Optional(Runtime<typeof fetch>()),
  /** Accept `http://` server URLs on a loopback host (tests, local development). Default false. */
  allowLoopbackHttp: Type.Optional(Type.Boolean()),
};

/** Schema of the options every provider accepts. */
export const BaseProviderOptionsSchema = Type.Object(BASE_PROVIDER_OPTIONS, {
  additionalProperties: false,
});

/** Options every provider accepts. */
export type BaseProviderOptions = Static<typeof BaseProviderOptionsSchema>;
