import { formUrlEncode, maskSecret } from '@etdi/core';

const MAX_ECHO = 200;
/** Shorter secrets (and shorter base64 fragments) are not searched for: too many false hits. */
const MIN_SECRET = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A pattern that finds `secret` written as is or URL-encoded in any way a server may echo it:
 * each character literal or percent-encoded (UTF-8, either hex case), a space also as `+`. That
 * covers `encodeURIComponent`, `application/x-www-form-urlencoded` and mixtures of them.
 */
function urlPattern(secret: string): string {
  let pattern = '';
  for (const char of secret) {
    const alternatives = [escapeRegExp(char)];
    if (char === ' ') alternatives.push('\\+');
    const bytes = Buffer.from(char, 'utf8');
    alternatives.push(
      Array.from(bytes, (byte) => {
        const hex = byte.toString(16).toUpperCase().padStart(2, '0');
        return `%${[...hex].map((d) => (/[A-F]/.test(d) ? `[${d}${d.toLowerCase()}]` : d)).join('')}`;
      }).join(''),
    );
    pattern += `(?:${alternatives.join('|')})`;
  }
  return pattern;
}

/**
 * The base64 and base64url characters that any encoding of `value` must contain, whatever its
 * offset in the encoded stream (a Basic credential `base64(id:secret)` puts the secret at an
 * offset set by the client id): for each of the three alignments, the characters made only of
 * the value's own bits.
 */
function base64Fragments(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const fragments: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const start = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    const fragment = encoded.slice(start, end);
    if (fragment.length < MIN_SECRET) continue;
    fragments.push(fragment);
    const url = fragment.replaceAll('+', '-').replaceAll('/', '_');
    if (url !== fragment) fragments.push(url);
  }
  return fragments;
}

/**
 * Replaces every form of `secret` in `text` with its mask: as is, URL- or form-encoded, and
 * base64 / base64url (alone or inside a Basic credential, of the secret as is or form-encoded).
 */
function maskAllForms(text: string, secret: string): string {
  const mask = maskSecret(secret);
  let out = text.replace(new RegExp(urlPattern(secret), 'g'), mask);
  const encoded = new Set([secret, encodeURIComponent(secret), formUrlEncode(secret)]);
  const fragments = [...encoded].flatMap(base64Fragments);
  // Longest first, so a shorter fragment never leaves part of a longer one in clear.
  for (const fragment of fragments.sort((a, b) => b.length - a.length)) {
    if (out.includes(fragment)) out = out.replaceAll(fragment, mask);
  }
  return out;
}

/**
 * Makes text the authorization server sent (an `error_description`) safe for a message or a log
 * line: every known secret replaced by its mask, in whatever encoding it was echoed (as is,
 * URL-encoded, form-encoded, base64), control characters removed, length capped. A server that
 * echoes the request back must not leak the client secret through us.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first: a secret that contains another is masked whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  for (const secret of ordered) {
    if (secret.length >= MIN_SECRET) out = maskAllForms(out, secret);
  }
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return out.length > MAX_ECHO ? `${out.slice(0, MAX_ECHO)}…` : out;
}
