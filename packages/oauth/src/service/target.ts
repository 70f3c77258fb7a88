import type { LogFields } from '@etdi/core';
import type { Dispatcher } from 'undici';
import { prepareConfig, type PreparedConfig, type PreparedGrant } from '../config/prepare.js';
import type { OAuthConfig } from '../config/schema.js';
import type { ResolvedServiceOptions } from '../options.js';

/** Options of {@link OAuthService.getAccessToken} and the other per-upstream operations. */
export interface TokenRequestOptions {
  /**
   * Names the configuration in the cache key. Default: a fingerprint of what the token is for
   * (token URL, client id, scope, audience, resources, ...; no secrets), so replicas sharing a
   * Redis cache agree on it without coordination.
   */
  readonly configId?: string;
  /** Keeps tokens of different projects (tenants) apart. Default: none. */
  readonly projectId?: string;
}

/** What one operation is about: an upstream, its prepared configuration, and its cache key. */
export interface Target<P extends PreparedConfig = PreparedConfig> {
  readonly server: string;
  readonly configId: string;
  readonly projectId: string | undefined;
  readonly key: string;
  readonly prepared: P;
}

/** A target whose configuration is enabled: one of the grant types. */
export type GrantTarget = Target<PreparedGrant>;

/** A target of the authorization-code grant. */
export type CodeTarget = Target<
  Extract<PreparedGrant, { readonly grantType: 'authorization_code' }>
>;

/** Whether the target's configuration is enabled. */
export function isEnabled(target: Target): target is GrantTarget {
  return target.prepared.enabled;
}

/** Whether the target is an enabled authorization-code configuration. */
export function isCodeFlow(target: Target): target is CodeTarget {
  return target.prepared.enabled && target.prepared.grantType === 'authorization_code';
}

/** The fields every log line about an operation on `target` carries. */
export function logFields(target: Target, correlationId: string): LogFields {
  return {
    correlationId,
    server: target.server,
    projectId: target.projectId,
    configId: target.configId,
    grantType: target.prepared.grantType,
  };
}

function cacheKey(server: string, configId: string, projectId: string | undefined): string {
  // A JSON array: no choice of names can make two different triples collide, and "no project"
  // (null) stays apart from the empty project id ("").
  return JSON.stringify([server, configId, projectId ?? null]);
}

/**
 * The configurations a service has prepared (remembered by object identity), the mTLS agents
 * they opened, and the cache key of each (server, configuration, project).
 */
export class Targets {
  readonly #options: ResolvedServiceOptions;
  readonly #prepared = new WeakMap<object, PreparedConfig>();
  readonly #keys = new WeakMap<
    PreparedConfig,
    Map<string, Map<string, Map<string | undefined, string>>>
  >();
  readonly #agents = new Set<Dispatcher>();

  constructor(options: ResolvedServiceOptions) {
    this.#options = options;
  }

  /** The prepared form of `config`, prepared now if this object was never seen. */
  prepare(config: OAuthConfig): PreparedConfig {
    let prepared = this.#prepared.get(config);
    if (prepared !== undefined) return prepared;
    prepared = prepareConfig(config, this.#options.now());
    if (prepared.enabled && prepared.dispatcher !== undefined)
      this.#agents.add(prepared.dispatcher);
    if (prepared.enabled && !prepared.enforceHttps) {
      this.#options.logger.warn(
        { configId: prepared.fingerprint, authorizationServer: new URL(prepared.tokenUrl).origin },
        'enforceHttps is off: client credentials and tokens may cross the network in clear',
      );
    }
    this.#prepared.set(config, prepared);
    return prepared;
  }

  /** The target of an operation on `server` under `config`. */
  resolve(server: string, config: OAuthConfig, options: TokenRequestOptions): Target {
    const prepared = this.prepare(config);
    const configId = options.configId ?? prepared.fingerprint;
    const key = this.#cacheKey(prepared, server, configId, options.projectId);
    return { server, configId, projectId: options.projectId, key, prepared };
  }

  /**
   * The cache key, memoized per (configuration, configId, server, project) in nested maps keyed
   * by the caller's own strings: their hashes are already computed, and the store then gets the
   * same key instance every time. A freshly concatenated key would be flattened and hashed on
   * every call, which was most of the cost of a cache hit.
   */
  #cacheKey(
    prepared: PreparedConfig,
    server: string,
    configId: string,
    projectId: string | undefined,
  ): string {
    let byConfigId = this.#keys.get(prepared);
    if (byConfigId === undefined) {
      byConfigId = new Map();
      this.#keys.set(prepared, byConfigId);
    }
    let byServer = byConfigId.get(configId);
    if (byServer === undefined) {
      byServer = new Map();
      byConfigId.set(configId, byServer);
    }
    let byProject = byServer.get(server);
    if (byProject === undefined) {
      byProject = new Map();
      byServer.set(server, byProject);
    }
    // `undefined` (no project) is a key of its own, apart from ''.
    let key = byProject.get(projectId);
    if (key === undefined) {
      // Bound the memo (not the cache) for hosts with unbounded project ids.
      if (byProject.size >= 10_000) byProject.clear();
      key = cacheKey(server, configId, projectId);
      byProject.set(projectId, key);
    }
    return key;
  }

  /** Closes the mTLS agents the prepared configurations opened. */
  async close(): Promise<void> {
    const agents = [...this.#agents];
    this.#agents.clear();
    await Promise.all(agents.map((agent) => agent.close()));
  }
}
