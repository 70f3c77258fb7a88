// The cursor of a `/mcp` list page: which upstreams have more, each with its own cursor. It is
// opaque to clients (base64url JSON) and carries the method it belongs to, so a tools/list
// cursor cannot page prompts. It grants nothing: every page is filtered again by what the
// caller may see, and the upstream cursors are the upstreams' own business.

interface CursorBody {
  readonly m: string;
  readonly p: Readonly<Record<string, string>>;
}

/** The cursor naming the next page of each upstream in `pending`. */
export function encodeCursor(method: string, pending: Readonly<Record<string, string>>): string {
  const body: CursorBody = { m: method, p: pending };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The upstream cursors of a cursor this gateway issued for `method`; undefined otherwise. */
export function decodeCursor(cursor: string, method: string): Record<string, string> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const { m, p } = body as Partial<CursorBody>;
  if (m !== method || p === null || typeof p !== 'object' || Array.isArray(p)) return undefined;
  const out: Record<string, string> = {};
  for (const [upstream, next] of Object.entries(p)) {
    if (typeof next !== 'string') return undefined;
    out[upstream] = next;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
