import { maskSecret } from '@etdi/core';

const MAX_ECHO = 200;

/**
 * Makes text the authorization server sent (an `error_description`) safe for a message or a log
 * line: every known secret replaced by its mask, control characters removed, length capped. A
 * server that echoes the request back must not leak the client secret through us.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret))
      out = out.replaceAll(secret, maskSecret(secret));
  }
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return out.length > MAX_ECHO ? `${out.slice(0, MAX_ECHO)}…` : out;
}
