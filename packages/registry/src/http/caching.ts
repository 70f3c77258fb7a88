import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** `Cache-Control` of what never changes: versions (`(iss, sub, ver)` is immutable). */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** `Cache-Control` of documents that change rarely and are cheap to revalidate (JWKS, lists). */
export const SHORT_LIVED = 'public, max-age=60';
/** `Cache-Control` of listings: stored, but revalidated (ETag) on every use. */
export const REVALIDATE = 'no-cache';

/** A strong entity tag: the SHA-256 of the exact bytes served. */
export function strongEtag(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url')}"`;
}

/**
 * Whether `If-None-Match` matches `etag` (RFC 9110 §13.1.2: weak comparison, `*` matches any
 * current representation).
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  for (const candidate of header.split(',')) {
    const t = candidate.trim();
    if ((t.startsWith('W/') ? t.slice(2) : t) === opaque) return true;
  }
  return false;
}

/**
 * Every successful GET (and HEAD) carries a strong ETag (the route's own, or one computed from
 * the bytes sent) and answers a matching `If-None-Match` with 304 and no body.
 */
export function conditionalGets(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || reply.statusCode !== 200) {
      return payload;
    }
    let etag = reply.getHeader('etag') as string | undefined;
    if (etag === undefined) {
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
      etag = strongEtag(payload);
      reply.header('etag', etag);
    }
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      reply.code(304);
      reply.removeHeader('content-length');
      reply.removeHeader('content-type');
      return null;
    }
    return payload;
  });
}
