import {
  createAjv,
  findDuplicateMember,
  parseDuration,
  resolveEnvReferences,
  schemaIssues,
  type SchemaIssue,
} from '@etdi/core';
import { assertOAuthConfig, OAuthError, type OAuthConfig } from '@etdi/oauth';
import { resolve } from 'node:path';
import { aggregateConfigIssues } from '../aggregate/aggregate-names.js';
import { GatewayError } from '../errors.js';
import { GATEWAY_DEFAULTS } from './defaults.js';
import type { GatewayConfig, UpstreamConfig } from './gateway-config.js';
import { GatewayConfigSchema, type GatewayConfigDocument } from './schema.js';
import { resolveStdioUpstream } from './stdio-config.js';

const validateDocument = createAjv().compile<GatewayConfigDocument>(GatewayConfigSchema);

/** Options of {@link validateGatewayConfig}. */
export interface ValidateGatewayConfigOptions {
  /** Where `${env:NAME}` references are looked up. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. Default: the working directory. */
  readonly baseDir?: string;
}

function seconds(value: string, pointer: string, issues: SchemaIssue[]): number {
  try {
    return parseDuration(value, pointer);
  } catch {
    issues.push({ pointer, message: `"${value}" is not a duration; write e.g. 30s, 10m, 24h` });
    return 0;
  }
}

function url(value: string, pointer: string, issues: SchemaIssue[]): URL {
  try {
    return new URL(value);
  } catch {
    issues.push({ pointer, message: 'is not a URL' });
    return new URL('http://invalid.invalid/');
  }
}

/**
 * Validates a gateway configuration document and resolves it. Every problem is reported at
 * once, each located by its JSON pointer: unknown keys, missing keys, wrong types, unset
 * `${env:…}` variables, durations without a unit, URLs that do not parse, a `publicUrl` with a
 * path, a Redis session store without Redis, upstream OAuth settings their package refuses.
 * Throws `GatewayError('invalid-config')` with `issues`.
 *
 * The `auth` member is validated by `@etdi/auth` when the authenticator is built, and `trust` /
 * `pins` by the guard; both at start-up too.
 *
 * @example
 * const config = validateGatewayConfig(document, { baseDir: '/etc/etdi' });
 */
export function validateGatewayConfig(
  document: unknown,
  options: ValidateGatewayConfigOptions = {},
): GatewayConfig {
  const issues: SchemaIssue[] = [];
  const resolved = resolveEnvReferences(document, options.env ?? process.env, issues);
  if (!validateDocument(resolved)) issues.push(...schemaIssues(validateDocument.errors));
  if (issues.length > 0) throw invalid(issues);
  const doc = resolved as GatewayConfigDocument;

  const publicUrl = url(doc.publicUrl, '/publicUrl', issues);
  if (publicUrl.pathname !== '/' || publicUrl.search !== '' || publicUrl.hash !== '') {
    issues.push({
      pointer: '/publicUrl',
      message: 'must be an origin (scheme, host, port) without a path, query or fragment',
    });
  }
  const allowedOrigins = [publicUrl.origin];
  doc.allowedOrigins?.forEach((origin, i) => {
    allowedOrigins.push(url(origin, `/allowedOrigins/${i}`, issues).origin);
  });

  const pinsRedis = doc.pins?.store === 'redis' ? doc.pins.redis : undefined;
  const store = doc.sessions?.store ?? (pinsRedis ? 'redis' : 'memory');
  const sessionRedis = doc.sessions?.redis ?? pinsRedis;
  if (store === 'redis' && !sessionRedis) {
    issues.push({
      pointer: '/sessions/redis',
      message: 'missing: sessions.store is redis, so sessions.redis (or pins.redis) is required',
    });
  }

  const baseDir = resolve(options.baseDir ?? process.cwd());
  const upstreams = new Map<string, UpstreamConfig>();
  for (const [name, upstream] of Object.entries(doc.upstreams)) {
    const base = `/upstreams/${name}`;
    const stdio = resolveStdioUpstream(upstream, base, baseDir, issues);
    const target =
      upstream.url === undefined ? undefined : url(upstream.url, `${base}/url`, issues);
    if (target && (target.username || target.password)) {
      issues.push({
        pointer: `${base}/url`,
        message: 'must not carry credentials; use headers or oauth',
      });
    }
    let oauth: OAuthConfig | undefined;
    if (upstream.oauth !== undefined) {
      try {
        assertOAuthConfig(upstream.oauth);
        oauth = upstream.oauth as OAuthConfig;
      } catch (error) {
        const pointer = error instanceof OAuthError ? (error.pointer ?? '') : '';
        issues.push({
          pointer: `${base}/oauth${pointer}`,
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
    upstreams.set(name, {
      name,
      url: target,
      timeoutMs:
        seconds(upstream.timeout ?? GATEWAY_DEFAULTS.timeout, `${base}/timeout`, issues) * 1000,
      connections: upstream.connections ?? GATEWAY_DEFAULTS.connections,
      headers: upstream.headers ?? {},
      oauth,
      document: upstream,
      ...(stdio ? { stdio } : {}),
    });
  }
  const ttlSec = seconds(doc.sessions?.ttl ?? GATEWAY_DEFAULTS.sessionTtl, '/sessions/ttl', issues);
  issues.push(...aggregateConfigIssues(doc));
  if (issues.length > 0) throw invalid(issues);

  return {
    document: doc,
    baseDir,
    listen: {
      host: doc.listen?.host ?? GATEWAY_DEFAULTS.listen.host,
      port: doc.listen?.port ?? GATEWAY_DEFAULTS.listen.port,
    },
    publicUrl,
    allowedOrigins,
    maxRequestBytes: doc.limits?.maxRequestBytes ?? GATEWAY_DEFAULTS.maxRequestBytes,
    sessions: {
      store,
      redis: sessionRedis
        ? { url: sessionRedis.url, prefix: sessionRedis.prefix ?? GATEWAY_DEFAULTS.sessionPrefix }
        : undefined,
      ttlSec,
      maxPerPrincipal: doc.sessions?.maxPerPrincipal ?? GATEWAY_DEFAULTS.sessionsPerPrincipal,
    },
    upstreams,
  };
}

function invalid(issues: readonly SchemaIssue[]): GatewayError {
  return new GatewayError(
    'invalid-config',
    `invalid gateway configuration: ${issues.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ')}`,
    { issues },
  );
}

/** Refuses a JSON text with a repeated member name (which a parser would silently collapse). */
export function assertNoDuplicateMembers(text: string): void {
  const pointer = findDuplicateMember(text);
  if (pointer !== undefined) {
    throw new GatewayError(
      'invalid-config',
      `invalid gateway configuration: ${pointer}: repeated key`,
      {
        issues: [{ pointer, message: 'repeated key' }],
      },
    );
  }
}
