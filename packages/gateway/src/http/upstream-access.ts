import type { AuthResult } from '@etdi/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config/gateway-config.js';
import { jsonRpcError, JSON_RPC } from '../proxy/json-rpc.js';
import { missingScopesOf, refuseInsufficientScope } from './gateway-auth.js';

/** Why a caller may not use an upstream. */
export type AccessRefusal =
  { readonly kind: 'scope'; readonly scope: string } | { readonly kind: 'not-listed' };

/**
 * The one rule for which upstreams a caller may use, on `/servers/<name>/mcp` and on `/mcp`
 * alike: `aggregate.access` (who may use which upstreams) and each upstream's `aggregate.scope`
 * (the scope needed to use it). The names are kept from when they applied to `/mcp` only.
 */
export class UpstreamAccess {
  /** `aggregate.access` as a map: a user id never meets `Object.prototype` (`constructor`). */
  readonly #access: ReadonlyMap<string, readonly string[]> | undefined;
  readonly #scopes: ReadonlyMap<string, string>;

  constructor(
    access: Readonly<Record<string, readonly string[]>> | undefined,
    scopes: ReadonlyMap<string, string>,
  ) {
    this.#access =
      access === undefined
        ? undefined
        : new Map(Object.keys(access).map((k) => [k, access[k]!] as const));
    this.#scopes = scopes;
  }

  static of(config: GatewayConfig): UpstreamAccess {
    const scopes = new Map<string, string>();
    for (const [name, upstream] of config.upstreams) {
      const scope = upstream.document.aggregate?.scope;
      if (scope !== undefined) scopes.set(name, scope);
    }
    return new UpstreamAccess(config.document.aggregate?.access, scopes);
  }

  /** Why `auth` may not use `upstream`; undefined when it may. */
  refusal(auth: AuthResult | null, upstream: string): AccessRefusal | undefined {
    const allowed = this.#allowed(auth);
    if (allowed !== undefined && !allowed.includes(upstream)) return { kind: 'not-listed' };
    const scope = this.#scopes.get(upstream);
    if (scope !== undefined && missingScopesOf(auth, [scope]).length > 0) {
      return { kind: 'scope', scope };
    }
    return undefined;
  }

  /** The upstreams of `upstreams` that `auth` may use, in order. */
  usable(auth: AuthResult | null, upstreams: readonly string[]): string[] {
    return upstreams.filter((u) => this.refusal(auth, u) === undefined);
  }

  /**
   * The caller's entry of `aggregate.access` (undefined when there is no access list): its
   * provider-qualified id `<provider>:<user id>` first, then the bare user id (which matches that
   * id from any provider), then `*`, else nothing.
   */
  #allowed(auth: AuthResult | null): readonly string[] | undefined {
    const access = this.#access;
    if (access === undefined) return undefined;
    if (auth === null || auth.anonymous || auth.userId === undefined) {
      return access.get('anonymous') ?? access.get('*') ?? [];
    }
    return (
      access.get(`${auth.source.provider}:${auth.userId}`) ??
      access.get(auth.userId) ??
      access.get('*') ??
      []
    );
  }
}

/**
 * The `onRequest` hook of `/servers/<name>/mcp` (after authentication): a caller the rule does
 * not let use the upstream gets 403 before anything is read or forwarded: `insufficient_scope`
 * (RFC 6750) for a missing `aggregate.scope`, JSON-RPC `-32003` with `data.reason:
 * "upstream-forbidden"` for a caller `aggregate.access` does not list it for.
 */
export function upstreamAccessHook(
  access: UpstreamAccess,
  upstream: string,
  resourceMetadataUrl: string,
  onRefusal: (reason: string) => void,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    const refusal = access.refusal(request.auth, upstream);
    if (!refusal) return undefined;
    if (refusal.kind === 'scope') {
      onRefusal('insufficient-scope');
      return refuseInsufficientScope(
        reply,
        [refusal.scope],
        resourceMetadataUrl,
        jsonRpcError(
          null,
          JSON_RPC.forbidden,
          `Forbidden: upstream "${upstream}" needs scope ${refusal.scope}`,
          { reason: 'insufficient-scope' },
        ),
      );
    }
    onRefusal('upstream-forbidden');
    return reply
      .code(403)
      .header('cache-control', 'no-store')
      .type('application/json')
      .send(
        jsonRpcError(
          null,
          JSON_RPC.forbidden,
          `Forbidden: this caller may not use upstream "${upstream}" (aggregate.access)`,
          { reason: 'upstream-forbidden' },
        ),
      );
  };
}
