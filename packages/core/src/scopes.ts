/** RFC 6749 §3.3 scope token: printable ASCII without space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Whether `value` is one RFC 6749 §3.3 scope token. */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/**
 * The scopes of an OAuth `scope` value: a space-delimited string (RFC 6749 §3.3, as in token
 * responses, introspection and JWT `scope` claims) or an array (JWT `scp`, configuration).
 * Empty tokens are dropped, duplicates removed, order kept. Anything that is not a string or an
 * array of strings yields no scopes: a malformed claim never grants anything.
 *
 * @example
 * parseScope('files:read  files:write'); // ['files:read', 'files:write']
 */
export function parseScope(value: unknown): string[] {
  const tokens =
    typeof value === 'string'
      ? value.split(' ')
      : Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? (value as string[])
        : [];
  return [...new Set(tokens.filter((t) => t.length > 0))];
}

/**
 * The required scopes that `granted` does not cover, in the order required: empty when the
 * caller may proceed. Scopes compare exactly (case-sensitive, no wildcards), as RFC 6749 says.
 *
 * @example
 * missingScopes(['files:read'], ['files:read', 'files:write']); // ['files:write']
 */
export function missingScopes(
  granted: Iterable<string> | ReadonlySet<string>,
  required: readonly string[],
): string[] {
  const have = granted instanceof Set ? (granted as ReadonlySet<string>) : new Set(granted);
  const missing: string[] = [];
  for (const scope of required)
    if (!have.has(scope) && !missing.includes(scope)) missing.push(scope);
  return missing;
}
