import type { SchemaIssue } from '@etdi/core';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { GatewayConfigDocument } from '../config/schema.js';

/**
 * The longest tool (and prompt) name `/mcp` serves. The MCP specification (2025-11-25, "Tool
 * names") says names SHOULD be 1 to 128 characters; clients and model APIs cut or refuse longer
 * ones, so the gateway never serves a longer name.
 */
export const MAX_EXPOSED_NAME = 128;

/** Between an upstream's prefix and the tool's own name: `files__read_file`. */
export const NAME_SEPARATOR = '__';

/** Where `/mcp` finds a name: the upstream and the name that upstream knows it by. */
export interface RoutedName {
  readonly upstream: string;
  readonly name: string;
}

/**
 * The names `/mcp` serves, collision-free by construction: every upstream has a prefix (its
 * `aggregate.prefix`, by default its name), and no prefix followed by the separator starts
 * another one's, so exactly one upstream can own any served name.
 */
export class AggregateNames {
  /** Upstream name → its prefix with the separator (`files__`), longest first. */
  readonly #prefixes: readonly (readonly [string, string])[];

  constructor(prefixes: ReadonlyMap<string, string>) {
    this.#prefixes = [...prefixes]
      .map(([upstream, prefix]) => [upstream, `${prefix}${NAME_SEPARATOR}`] as const)
      .sort((a, b) => b[1].length - a[1].length);
  }

  /** The configured prefixes, from a validated configuration. */
  static of(config: GatewayConfig): AggregateNames {
    const prefixes = new Map<string, string>();
    for (const [name, upstream] of config.upstreams) {
      const aggregate = upstream.document.aggregate;
      if (aggregate?.include !== false) prefixes.set(name, aggregate?.prefix ?? name);
    }
    return new AggregateNames(prefixes);
  }

  /** The served name of an upstream's tool; undefined when it would be over the length limit. */
  expose(upstream: string, name: string): string | undefined {
    const prefix = this.#prefixes.find(([u]) => u === upstream)?.[1];
    if (prefix === undefined) return undefined;
    const exposed = `${prefix}${name}`;
    return exposed.length > MAX_EXPOSED_NAME ? undefined : exposed;
  }

  /** Which upstream owns a served name, and the name that upstream knows it by. */
  route(exposed: string): RoutedName | undefined {
    for (const [upstream, prefix] of this.#prefixes) {
      if (exposed.startsWith(prefix) && exposed.length > prefix.length) {
        return { upstream, name: exposed.slice(prefix.length) };
      }
    }
    return undefined;
  }
}

/**
 * The rules of the `aggregate` settings that a schema cannot say, as `invalid-config` issues:
 * name collisions and lengths ({@link aggregateNameIssues}), and `aggregate.access` lists that
 * name upstreams which do not exist.
 */
export function aggregateConfigIssues(doc: GatewayConfigDocument): SchemaIssue[] {
  const issues = aggregateNameIssues(doc.upstreams);
  for (const [who, names] of Object.entries(doc.aggregate?.access ?? {})) {
    names.forEach((name, i) => {
      if (!Object.hasOwn(doc.upstreams, name)) {
        issues.push({
          pointer: `/aggregate/access/${who.replaceAll('~', '~0').replaceAll('/', '~1')}/${i}`,
          message: `no upstream is named "${name}"`,
        });
      }
    });
  }
  return issues;
}

/**
 * The configuration rule of `/mcp` names, as `invalid-config` issues: two upstreams whose
 * prefixes could produce the same served name (equal, or one prefix plus `__` starting the
 * other: `a` and `a__b`). Lengths are the schema's: a prefix has at most 64 characters, which
 * leaves at least 62 of {@link MAX_EXPOSED_NAME} for the tool's own name.
 */
export function aggregateNameIssues(
  upstreams: Readonly<
    Record<string, { aggregate?: { prefix?: string; include?: boolean } | undefined }>
  >,
): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const entries = Object.entries(upstreams)
    .filter(([, u]) => u.aggregate?.include !== false)
    .map(([name, u]) => ({
      name,
      prefix: u.aggregate?.prefix ?? name,
      pointer:
        u.aggregate?.prefix === undefined
          ? `/upstreams/${name}`
          : `/upstreams/${name}/aggregate/prefix`,
    }));
  for (const a of entries) {
    for (const b of entries) {
      if (a === b) continue;
      const pa = `${a.prefix}${NAME_SEPARATOR}`;
      const pb = `${b.prefix}${NAME_SEPARATOR}`;
      if (a.name < b.name || !(pa.startsWith(pb) || pb.startsWith(pa))) continue;
      issues.push({
        pointer: a.pointer,
        message: `upstreams "${b.name}" and "${a.name}" would share /mcp names (prefixes "${b.prefix}" and "${a.prefix}"); give one of them another aggregate.prefix`,
      });
    }
  }
  return issues;
}
