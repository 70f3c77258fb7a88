import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { pointerToken } from '../errors/etdi-error.js';

/** One problem found in a document, located by a JSON pointer (RFC 6901). */
export interface SchemaIssue {
  /** JSON pointer of the offending member, e.g. `/upstreams/files/timeout`. */
  readonly pointer: string;
  readonly message: string;
}

/**
 * The one ajv factory of the family, for the project's own schemas (configuration documents,
 * request bodies): strict mode on, every error reported, union types allowed. Pass
 * `useDefaults: true` to fill defaults declared in the schema. Third-party JSON Schemas (a tool's
 * `inputSchema`) are checked elsewhere with strict mode off.
 *
 * @example
 * const validate = createAjv().compile<GatewayConfig>(GatewayConfigSchema);
 */
export function createAjv(options: Options = {}): Ajv {
  return new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, ...options });
}

let shared: Ajv | undefined;

/** Compiles a JSON Schema once with the shared strict instance; narrows `unknown` to `T`. */
export function compileSchema<T>(schema: object): ValidateFunction<T> {
  shared ??= createAjv();
  return shared.compile<T>(schema);
}

function describe(error: ErrorObject): SchemaIssue {
  const at = error.instancePath;
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        pointer: `${at}/${pointerToken(String(p.additionalProperty))}`,
        message: `unknown key "${String(p.additionalProperty)}"`,
      };
    case 'required':
      return {
        pointer: `${at}/${pointerToken(String(p.missingProperty))}`,
        message: `missing required key "${String(p.missingProperty)}"`,
      };
    case 'enum':
      return {
        pointer: at,
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { pointer: at, message: `must be ${JSON.stringify(p.allowedValue)}` };
    default:
      return { pointer: at, message: error.message ?? `fails "${error.keyword}"` };
  }
}

/**
 * The one translation of ajv errors into messages: issues located by JSON pointer, prefixed
 * with `base`. Errors of the `if`/`oneOf`/`anyOf` bookkeeping keywords are dropped: their real
 * causes are reported too.
 */
export function schemaIssues(
  errors: readonly ErrorObject[] | null | undefined,
  base = '',
): SchemaIssue[] {
  const seen = new Set<string>();
  const issues: SchemaIssue[] = [];
  for (const error of errors ?? []) {
    if (error.keyword === 'if' || error.keyword === 'oneOf' || error.keyword === 'anyOf') continue;
    const issue = describe(error);
    const full = { pointer: `${base}${issue.pointer}`, message: issue.message };
    const key = `${full.pointer}\u0000${full.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(full);
  }
  return issues;
}

/** Formats issues as one message: `what: /a/b: unknown key "c"; /d: must be string`. */
export function formatIssues(what: string, issues: readonly SchemaIssue[]): string {
  return `${what}: ${issues.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ')}`;
}
