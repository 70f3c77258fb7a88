import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  compileSchema,
  findDuplicateMember,
  formatIssues,
  parseDuration,
  schemaIssues,
} from '@etdi/core';
import Type, { type Static } from 'typebox';
import { parse as parseYaml } from 'yaml';
import { RegistryError } from '../errors.js';

const Duration = Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*(s|sec|m|min|h|d|w|y)?\\s*$' });

/** The configuration file of `etdi-registry` (YAML or JSON); every member optional. */
export const RegistryConfigSchema = Type.Object(
  {
    host: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    db: Type.Optional(Type.String({ minLength: 1 })),
    dbSchema: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    id: Type.Optional(Type.String({ minLength: 1 })),
    key: Type.Optional(Type.String({ minLength: 1 })),
    adminKeyFile: Type.Optional(Type.String({ minLength: 1 })),
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    bodyLimitBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
    rateLimit: Type.Optional(
      Type.Union([
        Type.Literal(false),
        Type.Object(
          { max: Type.Integer({ minimum: 1 }), window: Duration },
          { additionalProperties: false },
        ),
      ]),
    ),
    revocationLifetime: Type.Optional(Duration),
    logLevel: Type.Optional(
      Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    ),
    trustProxy: Type.Optional(Type.Union([Type.Boolean(), Type.Array(Type.String())])),
  },
  { additionalProperties: false },
);
export type RegistryConfig = Static<typeof RegistryConfigSchema>;

/** Defaults of the command line, in one place. */
export const CLI_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 4000,
  db: './data/registry.db',
  id: 'registry.local',
  logLevel: 'info' as const,
});

let validate: ReturnType<typeof compileSchema<RegistryConfig>> | undefined;

function configError(message: string, cause?: unknown, pointer?: string): RegistryError {
  return new RegistryError('invalid-config', message, {
    ...(cause === undefined ? {} : { cause }),
    ...(pointer === undefined ? {} : { pointer }),
  });
}

/**
 * Reads and checks a configuration file: YAML or JSON, no member named twice, no unknown member,
 * every problem named by its JSON pointer. Paths in it (`key`, `adminKeyFile`, a SQLite `db`)
 * are relative to the file.
 */
export async function loadRegistryConfig(path: string): Promise<RegistryConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw configError(
      `Cannot read the configuration file ${path}: ${(cause as Error).message}`,
      cause,
    );
  }
  const json = path.endsWith('.json');
  let doc: unknown;
  try {
    doc = json ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (cause) {
    throw configError(
      `${path} is not valid ${json ? 'JSON' : 'YAML'}: ${(cause as Error).message}`,
      cause,
    );
  }
  const duplicate = json ? findDuplicateMember(text) : undefined;
  if (duplicate !== undefined) {
    throw configError(`${path}: member ${duplicate} is given twice`, undefined, duplicate);
  }
  validate ??= compileSchema<RegistryConfig>(RegistryConfigSchema);
  if (!validate(doc ?? {})) {
    const issues = schemaIssues(validate.errors);
    throw configError(
      formatIssues(`invalid registry configuration ${path}`, issues),
      undefined,
      issues[0]?.pointer,
    );
  }
  const config = (doc ?? {}) as RegistryConfig;
  const base = dirname(resolve(path));
  const rel = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...config,
    ...(config.db === undefined || /^postgres(ql)?:\/\//i.test(config.db)
      ? {}
      : { db: rel(config.db) }),
    ...(config.key === undefined ? {} : { key: rel(config.key) }),
    ...(config.adminKeyFile === undefined ? {} : { adminKeyFile: rel(config.adminKeyFile) }),
  };
}

/** A configuration duration in seconds. */
export function durationSec(value: string, what: string): number {
  try {
    return parseDuration(value, what);
  } catch (cause) {
    throw configError((cause as Error).message, cause);
  }
}
