import { SIGNATURE_META_KEY, type SignedTool, type Tool } from './types.js';

/**
 * The signed content C of wire format v1: the tool without `_meta["io.etdi/signature"]`, and
 * without `_meta` if that leaves it empty (or it was empty). The input is not modified.
 *
 * Copies are made with object spread, never `Object.assign`: spread defines an own `__proto__`
 * member (as `JSON.parse` creates it) as data, where assignment would change the prototype.
 */
export function signedContent<T extends object>(tool: T): T {
  const meta = (tool as { _meta?: unknown })._meta;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return tool;
  const signed = Object.hasOwn(meta, SIGNATURE_META_KEY);
  // An empty `_meta` is never covered, so that signing `{ _meta: {} }` and verifying the signed
  // tool (whose `_meta` then holds only the signature) see the same content.
  if (!signed && Object.keys(meta).length > 0) return tool;
  const { [SIGNATURE_META_KEY]: _signature, ...restMeta } = meta as Record<string, unknown>;
  const { _meta: _ignored, ...rest } = tool as Record<string, unknown>;
  return (Object.keys(restMeta).length === 0 ? rest : { ...rest, _meta: restMeta }) as T;
}

/** The tool's signature member as found (any type: the caller validates), or `undefined`. */
export function signatureOf(tool: unknown): unknown {
  if (tool === null || typeof tool !== 'object') return undefined;
  const meta = (tool as { _meta?: unknown })._meta;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return undefined;
  return Object.hasOwn(meta, SIGNATURE_META_KEY)
    ? (meta as Record<string, unknown>)[SIGNATURE_META_KEY]
    : undefined;
}

/** The tool with its signature set to `jws`, replacing any earlier one. */
export function withSignature<T extends Tool>(tool: T, jws: string): T & SignedTool {
  const content = signedContent(tool) as Tool;
  return { ...content, _meta: { ...content._meta, [SIGNATURE_META_KEY]: jws } } as T & SignedTool;
}
