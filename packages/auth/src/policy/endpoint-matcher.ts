import type { AuthContext } from '../credentials.js';
import { AuthError } from '../errors.js';
import { decodePath, pathReadings } from './path.js';

interface CompiledPattern {
  readonly method: string | undefined;
  readonly source: string;
  readonly path: RegExp;
  caseInsensitive?: RegExp;
}

const PATTERN = /^(?:([A-Z]+) +)?(\/\S*)$/;

function compile(glob: string): string {
  // A trailing slash never matters: `/mcp` covers `/mcp/` (Fastify's `ignoreTrailingSlash`
  // routes both to one handler), and `/admin/` covers `/admin`.
  const body = glob.length > 1 && glob.endsWith('/') ? glob.slice(0, -1) : glob;
  let source = '';
  let open = true;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '*') {
      if (body[i + 1] === '*') {
        // `/**` at the end also matches the bare prefix: `/admin/**` covers `/admin`.
        if (body[i - 1] === '/' && i + 2 === body.length) {
          source = `${source.slice(0, -1)}(?:/.*)?`;
          open = false;
        } else {
          source += '.*';
        }
        i++;
      } else {
        source += '[^/]*';
      }
    } else {
      source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return open && body !== '/' ? `^${source}/?$` : `^${source}$`;
}

/**
 * Endpoint patterns of a policy: `"/mcp"`, `"/tools/*"` (one segment), `"/admin/**"` (any
 * depth, including `/admin`), optionally prefixed by a method: `"POST /mcp"` (`GET` also covers
 * `HEAD`, which runs the GET handler). Patterns and paths are compared percent-decoded and with
 * a trailing slash ignored; case matters unless the router ignores it
 * (`AuthContext.caseInsensitivePaths`).
 *
 * A request path can be read several ways (see {@link pathReadings}); a deny list refuses a
 * request when any reading matches, an allow list admits it only when every reading matches.
 */
export class EndpointMatcher {
  readonly #patterns: readonly CompiledPattern[];

  /** @param where JSON pointer of the list, for error messages. */
  constructor(patterns: readonly string[], where = '') {
    this.#patterns = patterns.map((pattern, index) => {
      const match = PATTERN.exec(pattern.trim());
      if (!match) {
        throw new AuthError(
          'invalid-config',
          `${where}/${index}: "${pattern}" is not an endpoint pattern like "/mcp" or "POST /tools/*"`,
          { pointer: `${where}/${index}` },
        );
      }
      const source = compile(decodePath(match[2]!));
      return { method: match[1], source, path: new RegExp(source) };
    });
  }

  get size(): number {
    return this.#patterns.length;
  }

  #test(verb: string | undefined, path: string, caseInsensitive: boolean): boolean {
    return this.#patterns.some((p) => {
      if (p.method !== undefined && p.method !== verb && !(p.method === 'GET' && verb === 'HEAD'))
        return false;
      const regex = caseInsensitive ? (p.caseInsensitive ??= new RegExp(p.source, 'i')) : p.path;
      return regex.test(path);
    });
  }

  #readings(context: AuthContext): readonly string[] | undefined {
    const path = context.rawPath ?? context.path;
    return typeof path === 'string' ? pathReadings(path) : undefined;
  }

  /** For deny lists: whether some reading of the request's path matches a pattern. */
  matchesAnyReading(context: AuthContext): boolean {
    const readings = this.#readings(context);
    // Without a path nothing is known to be denied; allow lists fail closed on it instead.
    if (!readings) return false;
    const verb = context.method?.toUpperCase();
    const ci = context.caseInsensitivePaths === true;
    return readings.some((path) => this.#test(verb, path, ci));
  }

  /** For allow lists: whether every reading of the request's path matches some pattern. */
  matchesEveryReading(context: AuthContext): boolean {
    const readings = this.#readings(context);
    if (!readings) return false;
    const verb = context.method?.toUpperCase();
    const ci = context.caseInsensitivePaths === true;
    return readings.every((path) => this.#test(verb, path, ci));
  }
}
