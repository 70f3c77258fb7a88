/**
 * JSON Schema (draft 2020-12) of an MCP `Tool` (MCP 2025-11-25). Members it does not name are
 * allowed, for forward compatibility; they are covered by the signature like every other member.
 * The tool name pattern is applied separately so that it can be configured.
 */
export const TOOL_SCHEMA = {
  $id: 'https://etdi.dev/schemas/mcp-tool.json',
  type: 'object',
  required: ['name', 'inputSchema'],
  properties: {
    name: { type: 'string', minLength: 1 },
    title: { type: 'string' },
    description: { type: 'string' },
    inputSchema: { $ref: '#/$defs/objectSchema' },
    outputSchema: { $ref: '#/$defs/objectSchema' },
    annotations: {
      type: 'object',
      properties: {
        title: { type: 'string' },
        readOnlyHint: { type: 'boolean' },
        destructiveHint: { type: 'boolean' },
        idempotentHint: { type: 'boolean' },
        openWorldHint: { type: 'boolean' },
      },
    },
    icons: {
      type: 'array',
      items: {
        type: 'object',
        required: ['src'],
        properties: {
          src: { type: 'string', minLength: 1 },
          mimeType: { type: 'string' },
          sizes: { type: 'array', items: { type: 'string' } },
          theme: { enum: ['light', 'dark'] },
        },
      },
    },
    execution: {
      type: 'object',
      properties: { taskSupport: { enum: ['forbidden', 'optional', 'required'] } },
    },
    _meta: { type: 'object' },
  },
  $defs: {
    objectSchema: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { const: 'object' },
        properties: { type: 'object' },
        required: { type: 'array', items: { type: 'string' } },
        $schema: { type: 'string' },
      },
    },
  },
} as const;
