/**
 * Masks a secret for logs and error messages: all but the last `visible` characters become `*`,
 * and the output length never reveals the secret's length (always four stars, then the tail).
 * Secrets shorter than `visible * 2` are masked completely, so a short secret is never half shown.
 *
 * @example
 * maskSecret('my-secret-key-12345', 4); // '****2345'
 * maskSecret('abc', 4); // '****'
 */
export function maskSecret(secret: string | null | undefined, visible = 4): string {
  if (secret == null || secret.length === 0) return '';
  const tail = Math.max(0, Math.floor(visible));
  if (tail === 0 || secret.length < tail * 2) return '****';
  return `****${secret.slice(-tail)}`;
}
