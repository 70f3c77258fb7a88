import { sha256Base64url } from '../canonical/canonicalize.js';
import { canonicalToolContent, type ToolLimits } from './validate-tool.js';

/**
 * The `dig` of wire format v1: base64url(SHA-256(JCS(C))), C being the tool without its
 * signature. Throws `EtdiError('malformed')` for input JCS cannot represent or past the limits.
 */
export function toolDigest(tool: unknown, limits?: ToolLimits): string {
  return sha256Base64url(canonicalToolContent(tool, limits).canonical);
}
