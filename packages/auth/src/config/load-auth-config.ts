import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { findDuplicateMember } from '@etdi/core';
import { parseDocument } from 'yaml';
import { AuthError } from '../errors.js';
import type { AuthConfig } from './auth-config.js';
import { validateAuthConfig, type ValidateAuthConfigOptions } from './validate-auth-config.js';

/** Format of a configuration text. */
export type ConfigFormat = 'json' | 'yaml';

/**
 * Parses and validates a configuration text (JSON, or YAML 1.2 without custom tags, where a
 * repeated key is an error rather than a silent override).
 */
export function parseAuthConfig(
  text: string,
  format: ConfigFormat,
  options: ValidateAuthConfigOptions = {},
): AuthConfig {
  let document: unknown;
  if (format === 'json') {
    // JSON.parse keeps the last of two equal member names; a document that says two things is
    // refused, as YAML's uniqueKeys does.
    const duplicate = findDuplicateMember(text);
    if (duplicate !== undefined) {
      throw new AuthError(
        'invalid-config',
        `auth configuration: ${duplicate}: the member is given twice`,
        { pointer: duplicate },
      );
    }
    try {
      document = JSON.parse(text);
    } catch (cause) {
      throw new AuthError(
        'invalid-config',
        `auth configuration is not JSON: ${(cause as Error).message}`,
        {
          cause,
          pointer: '',
        },
      );
    }
  } else {
    const parsed = parseDocument(text, { uniqueKeys: true, prettyErrors: true, version: '1.2' });
    const first = parsed.errors[0];
    if (first) {
      throw new AuthError(
        'invalid-config',
        `auth configuration is not valid YAML: ${first.message}`,
        {
          cause: first,
          pointer: '',
        },
      );
    }
    document = parsed.toJS({ maxAliasCount: 100 });
  }
  return validateAuthConfig(document, options);
}

/**
 * Reads a configuration file (`.json`, `.yaml` or `.yml`) and validates it; problems are
 * start-up errors naming the file and the path of each offending member.
 *
 * @example
 * const config = await loadAuthConfig('/etc/etdi/auth.yaml');
 * const auth = await buildAuthenticator(config, { baseDir: '/etc/etdi' });
 */
export async function loadAuthConfig(
  path: string,
  options: ValidateAuthConfigOptions = {},
): Promise<AuthConfig> {
  const ext = extname(path).toLowerCase();
  const format: ConfigFormat | undefined =
    ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : undefined;
  if (!format) {
    throw new AuthError(
      'invalid-config',
      `${path}: configuration files must end in .json, .yaml or .yml`,
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AuthError('invalid-config', `${path}: cannot read the configuration file`, { cause });
  }
  try {
    return parseAuthConfig(text, format, options);
  } catch (error) {
    if (error instanceof AuthError) {
      throw new AuthError(error.code, `${path}: ${error.message}`, {
        cause: error,
        issues: error.issues,
      });
    }
    throw error;
  }
}
