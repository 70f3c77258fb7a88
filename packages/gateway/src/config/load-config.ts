import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { GatewayError } from '../errors.js';
import type { GatewayConfig } from './gateway-config.js';
import {
  assertNoDuplicateMembers,
  validateGatewayConfig,
  type ValidateGatewayConfigOptions,
} from './validate-config.js';

/** Format of a configuration text. */
export type GatewayConfigFormat = 'json' | 'yaml';

/**
 * Parses and validates a configuration text: JSON (a repeated key is an error), or YAML 1.2
 * without custom tags (a repeated key is an error there too).
 */
export function parseGatewayConfig(
  text: string,
  format: GatewayConfigFormat,
  options: ValidateGatewayConfigOptions = {},
): GatewayConfig {
  let document: unknown;
  if (format === 'json') {
    try {
      document = JSON.parse(text);
    } catch (cause) {
      throw new GatewayError(
        'invalid-config',
        `configuration is not JSON: ${(cause as Error).message}`,
        {
          cause,
          pointer: '',
        },
      );
    }
    assertNoDuplicateMembers(text);
  } else {
    const parsed = parseDocument(text, { uniqueKeys: true, prettyErrors: true, version: '1.2' });
    const first = parsed.errors[0];
    if (first) {
      throw new GatewayError(
        'invalid-config',
        `configuration is not valid YAML: ${first.message}`,
        {
          cause: first,
          pointer: '',
        },
      );
    }
    document = parsed.toJS({ maxAliasCount: 100 });
  }
  return validateGatewayConfig(document, options);
}

/**
 * Reads a configuration file (`.json`, `.yaml`, `.yml`) and validates it. Relative paths in it
 * are resolved against the file's directory.
 *
 * @example
 * const config = await loadGatewayConfig('/etc/etdi/gateway.yaml');
 * const app = await buildGateway(config);
 */
export async function loadGatewayConfig(
  path: string,
  options: Omit<ValidateGatewayConfigOptions, 'baseDir'> = {},
): Promise<GatewayConfig> {
  const ext = extname(path).toLowerCase();
  const format: GatewayConfigFormat | undefined =
    ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : undefined;
  if (!format) {
    throw new GatewayError(
      'invalid-config',
      `${path}: configuration files end in .json, .yaml or .yml`,
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GatewayError('invalid-config', `${path}: cannot read the configuration file`, {
      cause,
    });
  }
  try {
    return parseGatewayConfig(text, format, { ...options, baseDir: dirname(resolve(path)) });
  } catch (error) {
    if (error instanceof GatewayError) {
      throw new GatewayError(error.code, `${path}: ${error.message}`, {
        cause: error.cause,
        issues: error.issues,
        pointer: error.pointer,
      });
    }
    throw error;
  }
}
