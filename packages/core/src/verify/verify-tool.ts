import { Verifier } from './verifier.js';
import type { ToolListInput, VerifyOptions, VerifyResult, VerifyToolsResult } from './types.js';

/**
 * Verifies one tool definition with the ordered checks of DESIGN.md. Resolves to
 * `{ ok: true, claims, kid, iss, sub, ver, dig, ... }` or `{ ok: false, reason, detail }`;
 * never rejects for bad input.
 *
 * @example
 * const result = await verifyTool(tool, { trust, maxAge: '30d' });
 * if (!result.ok) console.error(`${result.name}: ${result.reason} (${result.detail})`);
 */
export async function verifyTool(tool: unknown, options: VerifyOptions): Promise<VerifyResult> {
  return new Verifier(options).verify(tool);
}

/**
 * Verifies a whole `tools/list` result (or an array of tools) in one call, sharing key lookups
 * and checking signatures concurrently. For repeated lists keep a {@link Verifier}: its caches
 * make a list it has seen cheap.
 */
export async function verifyTools(
  tools: ToolListInput,
  options: VerifyOptions,
): Promise<VerifyToolsResult> {
  return new Verifier(options).verifyAll(tools);
}
