import { GatewayError } from '../errors.js';
import type { UpstreamResponse } from './upstream.js';

/**
 * An upstream's whole response body, up to `maxBytes`; past it the body is dropped and the
 * answer is `upstream-unavailable` (an upstream cannot make the gateway buffer without bound).
 */
export async function readUpstreamBody(
  upstream: string,
  response: UpstreamResponse,
  maxBytes: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      response.body.destroy();
      throw new GatewayError(
        'upstream-unavailable',
        `upstream "${upstream}" answered with an over-long body`,
      );
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
