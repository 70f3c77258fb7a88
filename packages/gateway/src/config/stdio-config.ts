import { parseDuration, type SchemaIssue } from '@etdi/core';
import Type from 'typebox';
import { isAbsolute, resolve } from 'node:path';
import { DurationSchema } from '../guard/config-schema.js';
import type { UpstreamConfigDocument } from './schema.js';

/**
 * The members of `upstreams.<name>` that describe a stdio upstream: a local program the gateway
 * spawns and talks MCP to over its stdin and stdout. Composed into `UpstreamConfigSchema`; an
 * upstream has either `url` (Streamable HTTP) or `command` (stdio), which
 * {@link resolveStdioUpstream} checks with a message naming the field.
 */
export const StdioUpstreamSchema = Type.Object({
  command: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'the program to run (looked up in PATH; a relative path is relative to the file)',
    }),
  ),
  args: Type.Optional(Type.Array(Type.String(), { description: 'its arguments' })),
  env: Type.Optional(
    Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), {
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      description:
        "the child's environment: only these (plus PATH, HOME, LANG and the upstream token); " +
        'never the rest of the gateway environment',
    }),
  ),
  cwd: Type.Optional(
    Type.String({
      minLength: 1,
      description: "the child's working directory (relative to the file)",
    }),
  ),
  isolation: Type.Optional(
    Type.Union([Type.Literal('session'), Type.Literal('shared')], {
      description: 'session: one child per downstream session (default); shared: one for all',
    }),
  ),
  maxProcesses: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 4096, description: 'live children at most (default 32)' }),
  ),
  maxSessions: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'downstream sessions held at once (default 1024); past it 503 with Retry-After',
    }),
  ),
  maxSessionsPerPrincipal: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 4096,
      description:
        "sessions (each with its own child under isolation: session) one caller holds (default min(8, ceil(maxProcesses / 4))); past it the caller's own least recently used one ends",
    }),
  ),
  maxSessionLifetime: Type.Optional(DurationSchema),
  idleTimeout: Type.Optional(DurationSchema),
  initializeTimeout: Type.Optional(DurationSchema),
  shutdownGrace: Type.Optional(DurationSchema),
});

/** Defaults of a stdio upstream's members. */
export const STDIO_DEFAULTS = Object.freeze({
  isolation: 'session' as const,
  maxProcesses: 32,
  maxSessions: 1024,
  /** Sessions of one caller at most: at most 8, and a quarter of `maxProcesses`. */
  maxSessionsPerPrincipal: (maxProcesses: number) => Math.min(8, Math.ceil(maxProcesses / 4)),
  /** A session ends this long after `initialize`, open GET stream or not. */
  maxSessionLifetime: '24h',
  /** A child with nothing in flight and no open GET stream for this long is stopped. */
  idleTimeout: '10m',
  /** A child that has not answered `initialize` by then is killed. */
  initializeTimeout: '30s',
  /** Between SIGTERM and SIGKILL when children are stopped. */
  shutdownGrace: '5s',
  /** `Retry-After` (seconds) of a 503 when `maxProcesses` children are alive. */
  retryAfterSec: 5,
  /** Restart backoff: first delay, doubling up to the cap; reset after a child ran this long. */
  restartBaseMs: 250,
  restartCapMs: 30_000,
});

/** A stdio upstream, resolved: paths absolute, durations in milliseconds, defaults applied. */
export interface StdioUpstreamConfig {
  readonly command: string;
  readonly args: readonly string[];
  /** Variables given to the child, after `${env:…}` resolution. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly isolation: 'session' | 'shared';
  readonly maxProcesses: number;
  readonly maxSessions: number;
  readonly maxSessionsPerPrincipal: number;
  readonly maxSessionLifetimeMs: number;
  readonly idleTimeoutMs: number;
  readonly initializeTimeoutMs: number;
  readonly shutdownGraceMs: number;
}

const STDIO_ONLY = [
  'args',
  'env',
  'cwd',
  'isolation',
  'maxProcesses',
  'maxSessions',
  'maxSessionsPerPrincipal',
  'maxSessionLifetime',
  'idleTimeout',
  'initializeTimeout',
  'shutdownGrace',
] as const;
const HTTP_ONLY = ['headers', 'connections'] as const;

function ms(value: string, pointer: string, issues: SchemaIssue[]): number {
  try {
    return parseDuration(value, pointer) * 1000;
  } catch {
    issues.push({ pointer, message: `"${value}" is not a duration; write e.g. 30s, 10m, 24h` });
    return 0;
  }
}

/**
 * Checks that `upstreams.<name>` is either an HTTP upstream (`url`) or a stdio upstream
 * (`command`), and not a mix, and resolves the stdio members. Problems go to `issues`, each
 * with the pointer of the member at fault. Returns undefined for an HTTP upstream.
 */
export function resolveStdioUpstream(
  upstream: UpstreamConfigDocument,
  pointer: string,
  baseDir: string,
  issues: SchemaIssue[],
): StdioUpstreamConfig | undefined {
  if (upstream.url !== undefined && upstream.command !== undefined) {
    issues.push({
      pointer: `${pointer}/command`,
      message: 'an upstream has either url (Streamable HTTP) or command (stdio), not both',
    });
    return undefined;
  }
  if (upstream.url === undefined && upstream.command === undefined) {
    issues.push({
      pointer,
      message: 'missing: url (an HTTP upstream) or command (a stdio upstream)',
    });
    return undefined;
  }
  const misplaced = upstream.command === undefined ? STDIO_ONLY : HTTP_ONLY;
  for (const member of misplaced) {
    if (upstream[member] === undefined) continue;
    issues.push({
      pointer: `${pointer}/${member}`,
      message:
        upstream.command === undefined
          ? 'is for a stdio upstream (one with command), not one with url'
          : 'is for an HTTP upstream (one with url), not one with command',
    });
  }
  if (upstream.command === undefined) return undefined;
  const command = upstream.command;
  // A bare name is looked up in PATH; a path with a slash is the operator's file.
  const relativePath = !isAbsolute(command) && /[\\/]/.test(command);
  const isolation = upstream.isolation ?? STDIO_DEFAULTS.isolation;
  const maxProcesses = upstream.maxProcesses ?? STDIO_DEFAULTS.maxProcesses;
  const maxSessions = upstream.maxSessions ?? STDIO_DEFAULTS.maxSessions;
  const maxSessionsPerPrincipal =
    upstream.maxSessionsPerPrincipal ?? STDIO_DEFAULTS.maxSessionsPerPrincipal(maxProcesses);
  // A quota as large as the whole would let one caller hold every child (or session) again.
  const whole = isolation === 'session' ? Math.min(maxProcesses, maxSessions) : maxSessions;
  if (upstream.maxSessionsPerPrincipal !== undefined && maxSessionsPerPrincipal > whole) {
    issues.push({
      pointer: `${pointer}/maxSessionsPerPrincipal`,
      message: `is ${maxSessionsPerPrincipal}, more than the upstream's ${isolation === 'session' ? 'maxProcesses (or maxSessions)' : 'maxSessions'} of ${whole}; one caller could take them all`,
    });
  }
  return {
    command: relativePath ? resolve(baseDir, command) : command,
    args: upstream.args ?? [],
    env: upstream.env ?? {},
    cwd: resolve(baseDir, upstream.cwd ?? '.'),
    isolation,
    maxProcesses,
    maxSessions,
    maxSessionsPerPrincipal,
    maxSessionLifetimeMs: ms(
      upstream.maxSessionLifetime ?? STDIO_DEFAULTS.maxSessionLifetime,
      `${pointer}/maxSessionLifetime`,
      issues,
    ),
    idleTimeoutMs: ms(
      upstream.idleTimeout ?? STDIO_DEFAULTS.idleTimeout,
      `${pointer}/idleTimeout`,
      issues,
    ),
    initializeTimeoutMs: ms(
      upstream.initializeTimeout ?? STDIO_DEFAULTS.initializeTimeout,
      `${pointer}/initializeTimeout`,
      issues,
    ),
    shutdownGraceMs: ms(
      upstream.shutdownGrace ?? STDIO_DEFAULTS.shutdownGrace,
      `${pointer}/shutdownGrace`,
      issues,
    ),
  };
}
