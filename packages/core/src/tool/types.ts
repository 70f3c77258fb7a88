/** The `_meta` member that carries a tool's ETDI signature (a compact JWS). */
export const SIGNATURE_META_KEY = 'io.etdi/signature';

/** A JSON Schema object as MCP uses it for `inputSchema` and `outputSchema`. */
export interface ToolSchema {
  type: 'object';
  properties?: Record<string, unknown>;
  required?: string[];
  $schema?: string;
  [keyword: string]: unknown;
}

/** Behavioural hints of an MCP tool (untrusted unless the tool is verified). */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
  [key: string]: unknown;
}

/** An icon of an MCP tool. */
export interface ToolIcon {
  src: string;
  mimeType?: string;
  sizes?: string[];
  theme?: 'light' | 'dark';
  [key: string]: unknown;
}

/**
 * An MCP `Tool` as it appears in a `tools/list` result (MCP 2025-11-25). Members this interface
 * does not name are kept and, like every other member, covered by the signature.
 */
export interface Tool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: ToolSchema;
  outputSchema?: ToolSchema;
  annotations?: ToolAnnotations;
  icons?: ToolIcon[];
  execution?: { taskSupport?: 'forbidden' | 'optional' | 'required'; [key: string]: unknown };
  _meta?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A tool that carries `_meta["io.etdi/signature"]`. */
export interface SignedTool extends Tool {
  _meta: { [SIGNATURE_META_KEY]: string; [key: string]: unknown };
}

/** The result of a `tools/list` request: `{ tools: [...] }` plus whatever else the server sent. */
export interface ToolList {
  tools: Tool[];
  nextCursor?: string;
  [key: string]: unknown;
}
