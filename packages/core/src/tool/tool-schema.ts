import Type from 'typebox';
import { SIGNATURE_META_KEY } from './types.js';

/**
 * What MCP requires of `inputSchema` and `outputSchema`: a JSON Schema whose `type` is
 * `"object"`. Every other keyword is allowed here; the verifier checks them against the
 * schema's own dialect separately.
 */
const ObjectJsonSchema = Type.Object({
  type: Type.Literal('object'),
  properties: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object' })),
  required: Type.Optional(Type.Array(Type.String())),
  $schema: Type.Optional(Type.String()),
});

const toolProperties = {
  name: Type.String({ minLength: 1 }),
  title: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  inputSchema: ObjectJsonSchema,
  outputSchema: Type.Optional(ObjectJsonSchema),
  annotations: Type.Optional(
    Type.Object({
      title: Type.Optional(Type.String()),
      readOnlyHint: Type.Optional(Type.Boolean()),
      destructiveHint: Type.Optional(Type.Boolean()),
      idempotentHint: Type.Optional(Type.Boolean()),
      openWorldHint: Type.Optional(Type.Boolean()),
    }),
  ),
  icons: Type.Optional(
    Type.Array(
      Type.Object({
        src: Type.String({ minLength: 1 }),
        mimeType: Type.Optional(Type.String()),
        sizes: Type.Optional(Type.Array(Type.String())),
        theme: Type.Optional(Type.Enum(['light', 'dark'])),
      }),
    ),
  ),
  execution: Type.Optional(
    Type.Object({
      taskSupport: Type.Optional(Type.Enum(['forbidden', 'optional', 'required'])),
    }),
  ),
  _meta: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object' })),
};

/**
 * JSON Schema of an MCP `Tool` (MCP 2025-11-25), as the verifier checks it (`schema-invalid`
 * otherwise). Members it does not name are allowed, for forward compatibility; the signature
 * covers them like every other member. The name pattern is applied separately (configurable, see
 * `ToolLimits.namePattern`), and so is the check of `inputSchema`/`outputSchema` against their
 * JSON Schema dialect.
 *
 * A plain JSON Schema object (a TypeBox schema: no `$id`, no `$ref`), so it can be embedded in
 * Fastify route schemas as often as needed and compiled by `createAjv()` in strict mode. It
 * checks shape only: the verifier gives the reason codes.
 *
 * @example
 * import Type from 'typebox';
 * app.post('/v1/scan', { schema: { body: Type.Object({ tools: Type.Array(McpToolSchema) }) } }, h);
 */
export const McpToolSchema = Type.Object(toolProperties);

/**
 * JSON Schema of a signed tool (wire format v1): an MCP `Tool` whose `_meta` carries
 * `"io.etdi/signature"`, a string. Whether that string is a well-formed, trusted, valid JWS over
 * this content is for the verifier to say.
 *
 * @example
 * const body = Type.Object({ tools: Type.Array(SignedToolSchema, { minItems: 1 }) });
 */
export const SignedToolSchema = Type.Object({
  ...toolProperties,
  _meta: Type.Object({ [SIGNATURE_META_KEY]: Type.String({ minLength: 1 }) }),
});
