/**
 * The requested scope tokens the grant does not cover. Scope is a set of space-separated,
 * case-sensitive tokens (RFC 6749 §3.3); order does not matter.
 */
export function missingScopes(requested: string, granted: string): string[] {
  if (requested === '') return [];
  const have = new Set(granted.split(' ').filter(Boolean));
  return requested.split(' ').filter((token) => token !== '' && !have.has(token));
}
