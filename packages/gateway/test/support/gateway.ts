/** Starts a real gateway on a 127.0.0.1 port, with API-key callers, for the proxy's tests. */
import { generateApiKey, hashApiKey, parseApiKey } from '@etdi/auth';
import { silentLogger } from '@etdi/core';
import type { FastifyInstance } from 'fastify';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { buildGateway, type BuildGatewayOptions } from '../../src/build-gateway.js';

export interface Caller {
  readonly key: string;
  readonly userId: string;
  readonly scopes: readonly string[];
}

/** A caller with a fresh API key. */
export function caller(
  userId: string,
  scopes: readonly string[] = [],
  policy?: object,
): Caller & { record: object } {
  const key = generateApiKey();
  return {
    key,
    userId,
    scopes,
    record: {
      keyId: parseApiKey(key)!.keyId,
      hash: hashApiKey(key),
      userId,
      scopes: [...scopes],
      ...(policy ? { policy } : {}),
    },
  };
}

/** A free port on 127.0.0.1 (the public URL must be known before the gateway listens). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningGateway {
  readonly app: FastifyInstance;
  readonly origin: string;
  mcpUrl(upstream: string): URL;
  close(): Promise<void>;
}

/** Builds and starts a gateway for `document` (its `publicUrl` and `listen` are filled in). */
export async function startGateway(
  document: Record<string, unknown>,
  options: BuildGatewayOptions,
): Promise<RunningGateway> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const app = await buildGateway(
    { ...document, publicUrl: origin, listen: { host: '127.0.0.1', port } },
    { logger: silentLogger, ...options },
  );
  await app.listen({ host: '127.0.0.1', port });
  return {
    app,
    origin,
    mcpUrl: (upstream) => new URL(`${origin}/servers/${upstream}/mcp`),
    close: () => app.close(),
  };
}

/** The `auth` document of API-key callers. */
export function apiKeyAuth(...callers: { record: object }[]): Record<string, unknown> {
  return { providers: { keys: { type: 'apiKey', keys: callers.map((c) => c.record) } } };
}

/** The body of an MCP `initialize` request (2025-06-18, no client capabilities). */
export function initializeBody(id: number | string = 1, client = 'raw'): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: client, version: '1' },
    },
  });
}
