import { formatIssues, schemaIssues } from '@etdi/core';
import type { ValidateFunction } from 'ajv';
import { AuthError, type AuthErrorCode } from '../errors.js';

/**
 * The one way options are checked where they enter: against their compiled schema, every problem
 * reported at once, each with its JSON pointer, as an `AuthError` (`invalid-config` for a
 * provider's options, `invalid-argument` for an administrative call's).
 */
export function checkOptions<T>(
  validate: ValidateFunction<T>,
  value: unknown,
  what: string,
  code: AuthErrorCode = 'invalid-config',
): asserts value is T {
  if (validate(value)) return;
  const issues = schemaIssues(validate.errors);
  throw new AuthError(code, formatIssues(what, issues), { issues });
}
