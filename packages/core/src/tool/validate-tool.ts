import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { canonicalize, DEFAULT_MAX_DEPTH } from '../canonical/canonicalize.js';
import { EtdiError, pointerToken } from '../errors/etdi-error.js';
import { signatureOf, signedContent } from './signed-content.js';
import { McpToolSchema } from './tool-schema.js';
import type { Tool } from './types.js';

/**
 * Limits on a tool definition. Depth is enforced while walking (before serializing); size is
 * measured on the canonical form, in linear time.
 */
export interface ToolLimits {
  /** Largest canonical (RFC 8785) size of the signed content in bytes. Default 256 KiB. */
  maxBytes?: number;
  /** Deepest nesting of objects and arrays, the tool itself being depth 1. Default 64. */
  maxDepth?: number;
  /** Pattern a tool name must match. Default: MCP's 1–128 characters of `A-Za-z0-9_.-`. */
  namePattern?: RegExp;
  /**
   * How `inputSchema` / `outputSchema` are checked: `'meta'` validates them against their
   * dialect's meta-schema (fast: the verify hot path); `'compile'` also compiles them with ajv,
   * which catches unresolvable `$ref`s too (what `signTool` uses). Default `'meta'`.
   */
  schemaCheck?: 'meta' | 'compile';
}

export const DEFAULT_TOOL_LIMITS = {
  maxBytes: 256 * 1024,
  maxDepth: DEFAULT_MAX_DEPTH,
  namePattern: /^[A-Za-z0-9_.-]{1,128}$/,
  schemaCheck: 'meta',
} as const satisfies Required<ToolLimits>;

/** A tool that passed structural validation, with its canonical signed content. */
export interface ValidatedTool {
  readonly tool: Tool;
  /** RFC 8785 form of the signed content C (the tool without its signature). */
  readonly canonical: string;
  /** UTF-8 byte length of `canonical`. */
  readonly size: number;
}

const DRAFT_07_URI = 'http://json-schema.org/draft-07/schema';
const DRAFT_2020_URI = 'https://json-schema.org/draft/2020-12/schema';
const DRAFT_07 = new Set([
  'http://json-schema.org/draft-07/schema#',
  'http://json-schema.org/draft-07/schema',
  'https://json-schema.org/draft-07/schema#',
  'https://json-schema.org/draft-07/schema',
]);
const DRAFT_2020 = new Set([
  'https://json-schema.org/draft/2020-12/schema',
  'https://json-schema.org/draft/2020-12/schema#',
]);

// Tool schemas come from third parties: unknown keywords and formats are legal JSON Schema,
// so strict mode is off; formats are annotations here, never asserted.
const ajvOptions = { strict: false, validateFormats: false, allErrors: false } as const;
interface Engines {
  readonly toolValidator: ValidateFunction<Tool>;
  /** The meta-schema validators of each dialect, looked up once. */
  readonly meta: { readonly draft07: ValidateFunction; readonly draft2020: ValidateFunction };
  /** Compile checks per dialect, emptied after every compile so third-party `$id`s never collide. */
  readonly compile: { readonly draft07: Ajv; readonly draft2020: Ajv2020 };
}
let engines: Engines | undefined;

function getEngines(): Engines {
  if (!engines) {
    const meta07 = new Ajv(ajvOptions).getSchema(DRAFT_07_URI);
    const meta2020 = new Ajv2020(ajvOptions).getSchema(DRAFT_2020_URI);
    if (!meta07 || !meta2020) throw new Error('ajv is missing its own meta-schemas');
    engines = {
      toolValidator: new Ajv2020(ajvOptions).compile<Tool>(McpToolSchema),
      meta: { draft07: meta07, draft2020: meta2020 },
      compile: { draft07: new Ajv(ajvOptions), draft2020: new Ajv2020(ajvOptions) },
    };
  }
  return engines;
}

function describeAjvError(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required':
      return `missing required member "${String((e.params as { missingProperty?: string }).missingProperty)}"`;
    case 'type':
      return `must be ${String((e.params as { type?: string }).type)}`;
    case 'const':
    case 'enum':
      return `${e.message ?? 'has a value that is not allowed'}: ${JSON.stringify(e.params)}`;
    default:
      return e.message ?? `fails "${e.keyword}"`;
  }
}

function ajvPointer(base: string, e: ErrorObject): string {
  const extra =
    e.keyword === 'required'
      ? `/${pointerToken(String((e.params as { missingProperty?: string }).missingProperty))}`
      : '';
  return `${base}${e.instancePath}${extra}`;
}

function schemaInvalid(pointer: string, message: string, cause?: unknown): never {
  throw new EtdiError('schema-invalid', `Tool ${pointer || '/'} ${message}`, { pointer, cause });
}

function checkJsonSchema(schema: Record<string, unknown>, at: string, compile: boolean): void {
  const { meta, compile: compilers } = getEngines();
  const dialect = schema.$schema;
  let kind: 'draft07' | 'draft2020';
  if (dialect === undefined || (typeof dialect === 'string' && DRAFT_2020.has(dialect))) {
    kind = 'draft2020';
  } else if (typeof dialect === 'string' && DRAFT_07.has(dialect)) {
    kind = 'draft07';
  } else {
    schemaInvalid(
      `${at}/$schema`,
      `names an unsupported JSON Schema dialect ${JSON.stringify(dialect)}; ` +
        'use draft 2020-12 (the MCP default) or draft-07',
    );
  }
  const validator = meta[kind];
  if (!validator(schema)) {
    const e = validator.errors?.[0];
    if (e) schemaInvalid(ajvPointer(at, e), `is not valid JSON Schema: ${describeAjvError(e)}`);
    schemaInvalid(at, 'is not valid JSON Schema');
  }
  if (compile) {
    const compiler = compilers[kind];
    try {
      compiler.compile(dialect === undefined ? { ...schema, $schema: DRAFT_2020_URI } : schema);
    } catch (cause) {
      schemaInvalid(
        at,
        `does not compile as JSON Schema: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause,
      );
    } finally {
      compiler.removeSchema();
    }
  }
}

/**
 * Checks the MCP schema of an already-canonicalized tool: members, types, name pattern, and that
 * `inputSchema`/`outputSchema` are valid JSON Schema. Throws `EtdiError('schema-invalid')`
 * naming the JSON pointer of the first problem.
 */
export function checkToolSchema(tool: unknown, limits?: ToolLimits): asserts tool is Tool {
  const { toolValidator } = getEngines();
  if (!toolValidator(tool)) {
    const e = toolValidator.errors?.[0];
    if (e) schemaInvalid(ajvPointer('', e), describeAjvError(e));
    schemaInvalid('', 'is not a valid MCP Tool');
  }
  const namePattern = limits?.namePattern ?? DEFAULT_TOOL_LIMITS.namePattern;
  if (!namePattern.test(tool.name)) {
    schemaInvalid(
      '/name',
      `name ${JSON.stringify(tool.name)} does not match ${String(namePattern)}`,
    );
  }
  const compile = (limits?.schemaCheck ?? DEFAULT_TOOL_LIMITS.schemaCheck) === 'compile';
  checkJsonSchema(tool.inputSchema, '/inputSchema', compile);
  if (tool.outputSchema !== undefined) checkJsonSchema(tool.outputSchema, '/outputSchema', compile);
}

/**
 * Checks the structure a verifier relies on before any schema work: a JSON object, a string
 * signature if any, canonicalizable signed content within the depth and size limits. Returns
 * the canonical form, or throws `EtdiError('malformed')` naming the JSON pointer.
 */
export function canonicalizeTool(
  value: unknown,
  limits?: ToolLimits,
): { readonly content: object; readonly canonical: string; readonly size: number } {
  const { content, canonical } = canonicalToolContent(value, limits);
  return { content, canonical, size: Buffer.byteLength(canonical) };
}

/**
 * {@link canonicalizeTool} without the exact size, for the verify hot path: UTF-8 takes at most
 * 3 bytes per UTF-16 code unit, so a canonical form of at most a third of `maxBytes` code units
 * (nearly every tool) is within the limit without counting its bytes.
 */
export function canonicalToolContent(
  value: unknown,
  limits?: ToolLimits,
): { readonly content: object; readonly canonical: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EtdiError('malformed', 'A tool must be a JSON object', { pointer: '' });
  }
  const sig = signatureOf(value);
  if (sig !== undefined && typeof sig !== 'string') {
    throw new EtdiError(
      'malformed',
      'Tool /_meta/io.etdi~1signature must be a string (a compact JWS)',
      {
        pointer: '/_meta/io.etdi~1signature',
      },
    );
  }
  const content = signedContent(value);
  const maxBytes = limits?.maxBytes ?? DEFAULT_TOOL_LIMITS.maxBytes;
  let canonical: string;
  try {
    canonical = canonicalize(content, {
      maxDepth: limits?.maxDepth ?? DEFAULT_TOOL_LIMITS.maxDepth,
    });
  } catch (cause) {
    if (cause instanceof EtdiError) {
      throw new EtdiError('malformed', cause.message, { pointer: cause.pointer, cause });
    }
    throw cause;
  }
  if (canonical.length * 3 > maxBytes) {
    const size = Buffer.byteLength(canonical);
    if (size > maxBytes) {
      throw new EtdiError(
        'malformed',
        `Tool definition is ${size} bytes in canonical form; the limit is ${maxBytes}`,
        { pointer: '' },
      );
    }
  }
  return { content, canonical };
}

/**
 * Validates a tool definition: structure and limits (`malformed`), the MCP Tool schema and the
 * JSON Schemas it carries (`schema-invalid`). Throws `EtdiError` with that code and the JSON
 * pointer of the first problem; never crashes or hangs on hostile input.
 *
 * @example
 * const { canonical } = validateTool(JSON.parse(text), { schemaCheck: 'compile' });
 */
export function validateTool(value: unknown, limits?: ToolLimits): ValidatedTool {
  const { canonical, size } = canonicalizeTool(value, limits);
  checkToolSchema(value, limits);
  return { tool: value, canonical, size };
}

/** Assertion form of {@link validateTool}. */
export function assertTool(value: unknown, limits?: ToolLimits): asserts value is Tool {
  validateTool(value, limits);
}
