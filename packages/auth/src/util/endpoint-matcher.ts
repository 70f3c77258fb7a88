import { AuthError } from '../errors.js';
import { normalizePath } from './path.js';

interface CompiledPattern {
  readonly method: string | undefined;
  readonly path: RegExp;
}

const PATTERN = /^(?:([A-Z]+) +)?(\/\S*)$/;

function compile(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `/**` at the end also matches the bare prefix: `/admin/**` covers `/admin`.
        if (glob[i - 1] === '/' && i + 2 === glob.length) {
          source = `${source.slice(0, -1)}(?:/.*)?`;
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
  return new RegExp(`^${source}$`);
}

/**
 * Endpoint patterns of a policy: `"/mcp"`, `"/tools/*"` (one segment), `"/admin/**"` (any
 * depth, including `/admin`), optionally prefixed by a method: `"POST /mcp"`. Paths are
 * normalised before matching, so `/a/./b` cannot sneak past a rule for `/a/b`.
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
      return { method: match[1], path: compile(match[2]!) };
    });
  }

  get size(): number {
    return this.#patterns.length;
  }

  /** Whether the request (method, path) matches one of the patterns. */
  matches(method: string | undefined, path: string | undefined): boolean {
    if (path === undefined) return false;
    const normalized = normalizePath(path);
    const verb = method?.toUpperCase();
    return this.#patterns.some(
      (p) => (p.method === undefined || p.method === verb) && p.path.test(normalized),
    );
  }
}
