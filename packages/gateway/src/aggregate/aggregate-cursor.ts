// The cursor of a `/mcp` list page: which upstreams have more, each with its own cursor. It is
// opaque to clients (base64url JSON and an HMAC-SHA256 tag) and carries the method it belongs
// to, so a tools/list cursor cannot page prompts. The tag covers the listing id, the method, the
// upstream cursors and the principal it was handed to: a client cannot make one (to replay an
// upstream's first page as a later one, or to name an upstream cursor of its choosing), and
// another principal cannot page with it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

interface CursorBody {
  readonly m: string;
  /** Listing id: the same on every page of one listing. */
  readonly l: string;
  readonly p: Readonly<Record<string, string>>;
}

/** What a valid cursor says. */
export interface DecodedCursor {
  readonly listing: string;
  readonly pending: Record<string, string>;
}

/**
 * Issues and checks `/mcp` cursors with one HMAC key: `aggregate.cursorSecret` when configured
 * (the same on every node: a cursor from one node pages on another), else a random key of this
 * process (a cursor from another node, or from before a restart, is refused as invalid: the
 * client lists again from the first page).
 */
export class CursorSeal {
  readonly #key: Buffer;

  constructor(secret?: string) {
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  /** A new listing id, for a first page. */
  static newListing(): string {
    return randomBytes(12).toString('base64url');
  }

  /** The cursor naming the next page of each upstream in `pending`, for `principal` only. */
  encode(
    method: string,
    listing: string,
    pending: Readonly<Record<string, string>>,
    principal: string,
  ): string {
    const body: CursorBody = { m: method, l: listing, p: pending };
    const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
    return `${payload}.${this.#tag(payload, principal).toString('base64url')}`;
  }

  /** What a cursor this gateway issued to `principal` for `method` says; undefined otherwise. */
  decode(cursor: string, method: string, principal: string): DecodedCursor | undefined {
    const dot = cursor.indexOf('.');
    if (dot < 0) return undefined;
    const payload = cursor.slice(0, dot);
    const tag = Buffer.from(cursor.slice(dot + 1), 'base64url');
    const expected = this.#tag(payload, principal);
    if (tag.length !== expected.length || !timingSafeEqual(tag, expected)) return undefined;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (body === null || typeof body !== 'object') return undefined;
    const { m, l, p } = body as Partial<CursorBody>;
    if (m !== method || typeof l !== 'string') return undefined;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) return undefined;
    const pending: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [upstream, next] of Object.entries(p)) {
      if (typeof next !== 'string') return undefined;
      pending[upstream] = next;
    }
    return Object.keys(pending).length > 0 ? { listing: l, pending } : undefined;
  }

  #tag(payload: string, principal: string): Buffer {
    return createHmac('sha256', this.#key).update(`${principal}\u0000${payload}`).digest();
  }
}
