import { pointerToken } from '../errors/etdi-error.js';
import type { SchemaIssue } from './compile-schema.js';

const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Replaces every string of the exact form `${env:NAME}` with that environment variable, at any
 * depth, so secrets (upstream API keys, client secrets)
 * stay out of configuration files. An unset variable is an issue naming its JSON pointer; the
 * value is never part of a message. @etdi/auth's and the gateway's configuration loaders
 * both resolve references with this one function.
 *
 * @example
 * const issues: SchemaIssue[] = [];
 * const config = resolveEnvReferences({ key: '${env:API_KEY}' }, process.env, issues);
 */
export function resolveEnvReferences(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  issues: SchemaIssue[],
  pointer = '',
): unknown {
  if (typeof value === 'string') {
    const ref = ENV_REF.exec(value);
    if (!ref) return value;
    const found = env[ref[1]!];
    if (found === undefined) {
      issues.push({ pointer, message: `environment variable ${ref[1]} is not set` });
      return value;
    }
    return found;
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => resolveEnvReferences(v, env, issues, `${pointer}/${i}`));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = resolveEnvReferences(v, env, issues, `${pointer}/${pointerToken(k)}`);
    }
    return out;
  }
  return value;
}
