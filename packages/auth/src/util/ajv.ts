import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { AuthError, pointerToken, type ConfigIssue } from '../errors.js';

// One instance for the package: schemas are compiled once, at module load or start-up.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

/** Compiles a JSON Schema once; the result narrows `unknown` to `T`. */
export function compileSchema<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}

function describe(error: ErrorObject): ConfigIssue {
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
 * Turns ajv errors into issues located by JSON pointer, prefixed with `base`. Errors of the
 * `if`/`then` and `oneOf` bookkeeping keywords are dropped: their real causes are reported too.
 */
export function schemaIssues(
  errors: readonly ErrorObject[] | null | undefined,
  base = '',
): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
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
export function formatIssues(what: string, issues: readonly ConfigIssue[]): string {
  return `${what}: ${issues.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ')}`;
}

/** Validates `value` or throws `AuthError('invalid-config')` naming every offending path. */
export function assertSchema<T>(
  validate: ValidateFunction<T>,
  value: unknown,
  what: string,
  base = '',
): asserts value is T {
  if (validate(value)) return;
  const issues = schemaIssues(validate.errors, base);
  throw new AuthError('invalid-config', formatIssues(what, issues), { issues });
}
