import type { FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { AuthResult } from '../result.js';
import {
  authHook,
  type AuthHookHandler,
  type AuthHookOptions,
  type RequestAuthenticator,
} from './auth-hook.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The caller, as `@etdi/auth` authenticated it: `null` until (and unless) the `etdiAuth`
     * hook ran for this request.
     */
    auth: AuthResult | null;
  }
  interface FastifyInstance {
    /**
     * The `etdiAuth` hook, for routes that ask for authentication one by one:
     * `app.post('/v1/tools', { onRequest: app.requireAuth }, handler)`.
     */
    requireAuth: AuthHookHandler;
  }
}

/** Options of the {@link etdiAuth} plugin. */
export interface EtdiAuthOptions extends AuthHookOptions {
  /** What authenticates: an `Authenticator` from `buildAuthenticator` or `createAuthenticator`. */
  authenticator: RequestAuthenticator;
  /**
   * `true` (default): every route of the context the plugin is registered in, and of its child
   * plugins, is authenticated (exempt some with `skip`). `false`: only the routes that ask, with
   * `onRequest: app.requireAuth`.
   */
  global?: boolean;
}

const plugin: FastifyPluginAsync<EtdiAuthOptions> = async (app, options) => {
  const { authenticator, global = true, ...hookOptions } = options;
  const hook = authHook(authenticator, hookOptions);
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null);
  if (!app.hasDecorator('requireAuth')) app.decorate('requireAuth', hook);
  if (global) app.addHook('onRequest', hook);
};

/**
 * The Fastify plugin of `@etdi/auth` (wrapped with `fastify-plugin`, so it applies to the context
 * it is registered in): decorates `request.auth` (`AuthResult | null`, typed through
 * `declare module 'fastify'`) and `app.requireAuth` (the hook), and runs the hook on every route
 * (`global: true`, the default) or only on the routes that name `app.requireAuth`. Refusals are
 * answered by the hook (see {@link authHook}).
 *
 * @example
 * await app.register(etdiAuth, { authenticator: auth, skip: (req) => req.url === '/healthz' });
 * app.post('/mcp', async (request) => ({ user: request.auth?.userId }));
 */
export const etdiAuth = fastifyPlugin(plugin, { name: '@etdi/auth', fastify: '5.x' });
