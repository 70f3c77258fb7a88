import { resolve } from 'node:path';
import {
  compileSchema,
  EtdiError,
  formatIssues,
  isSemanticVersion,
  normalizePerms,
  parseDuration,
  pointerToken,
  schemaIssues,
} from '@etdi/core';
import Type, { type Static } from 'typebox';
import { CliError } from './errors.js';
import { parseJsonText, pathExists, readTextFile } from './files.js';

/** The sidecar file `etdi sign` reads from the working directory when present. */
export const SIDECAR_FILE = 'etdi.json';

/** What the sidecar says about one tool; each member is optional and a flag overrides it. */
export const SidecarToolSchema = Type.Object(
  {
    ver: Type.Optional(Type.String({ minLength: 1 })),
    perms: Type.Optional(Type.Array(Type.String())),
    expires: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** `etdi.json`: per-tool versions, permissions and lifetimes, keyed by tool name. */
export const SidecarSchema = Type.Object(
  { tools: Type.Record(Type.String({ minLength: 1 }), SidecarToolSchema) },
  { additionalProperties: false },
);
/** The parsed sidecar. */
export type Sidecar = Static<typeof SidecarSchema>;

/** The signing parameters of one tool, after the sidecar and the flags. */
export interface ToolSigning {
  readonly ver: string | undefined;
  readonly perms: readonly string[];
  /** Signature lifetime in seconds. */
  readonly expiresSec: number | undefined;
}

let validate: ReturnType<typeof compileSchema<Sidecar>> | undefined;

/** A loaded sidecar: the parameters of each tool it names, checked once when loaded. */
export interface LoadedSidecar {
  readonly file: string;
  readonly tools: ReadonlyMap<string, Partial<ToolSigning>>;
}

/**
 * Loads the sidecar: `file` when given, else `etdi.json` in `cwd` if there is one. Every
 * member is checked up front (semantic versions, scopes, durations), each problem naming its
 * JSON pointer, so a bad entry stops the run before anything is signed.
 */
export async function loadSidecar(
  file: string | false | undefined,
  cwd: string,
): Promise<LoadedSidecar | undefined> {
  if (file === false) return undefined;
  if (file === undefined) {
    if (!(await pathExists(resolve(cwd, SIDECAR_FILE)))) return undefined;
    file = SIDECAR_FILE;
  }
  const doc = parseJsonText(await readTextFile(file, cwd, 'sidecar'), file);
  validate ??= compileSchema<Sidecar>(SidecarSchema);
  const hint =
    'etdi.json is {"tools": {"TOOL NAME": {"ver": "1.2.0", "perms": ["scope"], "expires": "90d"}}}';
  if (!validate(doc)) {
    throw new CliError('invalid-config', formatIssues(file, schemaIssues(validate.errors)), {
      hint,
    });
  }
  const tools = new Map<string, Partial<ToolSigning>>();
  for (const [name, entry] of Object.entries(doc.tools)) {
    const at = `/tools/${pointerToken(name)}`;
    const problem = (member: string, message: string) =>
      new CliError('invalid-config', `${file}: ${at}/${member}: ${message}`, {
        hint,
        pointer: `${at}/${member}`,
      });
    if (entry.ver !== undefined && !isSemanticVersion(entry.ver)) {
      throw problem(
        'ver',
        `${JSON.stringify(entry.ver)} is not a semantic version (MAJOR.MINOR.PATCH)`,
      );
    }
    let perms: string[] | undefined;
    let expiresSec: number | undefined;
    try {
      if (entry.perms !== undefined) perms = normalizePerms(entry.perms);
    } catch (error) {
      if (error instanceof EtdiError) throw problem('perms', error.message);
      throw error;
    }
    try {
      if (entry.expires !== undefined) expiresSec = parseDuration(entry.expires, 'expires');
    } catch (error) {
      if (error instanceof EtdiError) throw problem('expires', error.message);
      throw error;
    }
    tools.set(name, {
      ...(entry.ver === undefined ? {} : { ver: entry.ver }),
      ...(perms === undefined ? {} : { perms }),
      ...(expiresSec === undefined ? {} : { expiresSec }),
    });
  }
  return { file, tools };
}

/** One tool's parameters: a flag wins over the sidecar entry, which wins over the default. */
export function toolSigning(
  name: string | undefined,
  sidecar: LoadedSidecar | undefined,
  flags: {
    ver?: string | undefined;
    perms?: readonly string[] | undefined;
    expiresSec?: number | undefined;
  },
): ToolSigning {
  const entry = name === undefined ? undefined : sidecar?.tools.get(name);
  return {
    ver: flags.ver ?? entry?.ver,
    perms: flags.perms ?? entry?.perms ?? [],
    expiresSec: flags.expiresSec ?? entry?.expiresSec,
  };
}
