import { CliError } from './errors.js';

/**
 * A JSON file of tool definitions in one of the three shapes the CLI reads: a single tool, an
 * array of tools, or a `tools/list` result (`{"tools": [...]}`, whose other members, such as
 * `nextCursor` or a server description, are kept as they are).
 */
export type ToolDocument =
  | { readonly shape: 'tool'; readonly tools: readonly [unknown] }
  | { readonly shape: 'array'; readonly tools: readonly unknown[] }
  | {
      readonly shape: 'list';
      readonly tools: readonly unknown[];
      readonly rest: Readonly<Record<string, unknown>>;
    };

/**
 * Classifies a parsed file. An object with a `tools` array and no `inputSchema` is a
 * `tools/list` result; any other object is taken as one tool and left to tool validation, which
 * names what is missing far better than a guess here could.
 */
export function toToolDocument(value: unknown, display: string): ToolDocument {
  if (Array.isArray(value)) return { shape: 'array', tools: value };
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.tools) && !Object.hasOwn(record, 'inputSchema')) {
      return { shape: 'list', tools: record.tools, rest: record };
    }
    return { shape: 'tool', tools: [value] };
  }
  throw new CliError(
    'invalid-input',
    `${display} holds ${value === null ? 'null' : `a ${typeof value}`}, not tool definitions`,
    {
      hint: 'Expected a tool object, an array of tools, or a tools/list result {"tools": [...]}',
    },
  );
}

/** The document in its original shape, with `tools` replaced (member order is kept). */
export function withTools(doc: ToolDocument, tools: readonly unknown[]): unknown {
  switch (doc.shape) {
    case 'tool':
      return tools[0];
    case 'array':
      return tools;
    case 'list':
      return { ...doc.rest, tools };
  }
}

/** JSON pointer of the tool at `index` within the file. */
export function toolPointer(doc: ToolDocument, index: number): string {
  switch (doc.shape) {
    case 'tool':
      return '';
    case 'array':
      return `/${index}`;
    case 'list':
      return `/tools/${index}`;
  }
}

/** A tool's name for messages: its `name` if it has a string one. */
export function toolName(tool: unknown): string | undefined {
  const name = (tool as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}
