import { connect } from 'node:net';
import { once } from 'node:events';
import { providerKey, type ProviderKey } from './keys.js';

/** A response read whole. */
export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

/** JSON requests to a registry over a real socket (global fetch). */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown } = {},
): Promise<HttpResult> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body) };
}

/** Creates a provider with a publisher key and a registered signing key. */
export async function setupProvider(
  base: string,
  adminKey: string,
  iss: string,
): Promise<{ pk: ProviderKey; apiKey: string }> {
  const pk = await providerKey(iss);
  const steps = [await call(base, 'POST', '/v1/providers', { key: adminKey, body: { iss } })];
  const issued = await call(base, 'POST', `/v1/providers/${encodeURIComponent(iss)}/api-keys`, {
    key: adminKey,
  });
  steps.push(issued);
  const apiKey = issued.json<{ apiKey: string }>().apiKey;
  steps.push(
    await call(base, 'POST', `/v1/providers/${encodeURIComponent(iss)}/keys`, {
      key: apiKey,
      body: pk.jwks,
    }),
  );
  const failed = steps.find((s) => s.status !== 201);
  if (failed) throw new Error(`setting up ${iss}: ${failed.status} ${failed.body}`);
  return { pk, apiKey };
}

/**
 * Sends raw bytes (anything, valid HTTP or not) and returns all the server answered until it
 * closed the connection.
 */
export async function rawRequest(base: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(base);
  const socket = connect({ host: hostname, port: Number(port) });
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  socket.on('error', () => socket.destroy());
  socket.end(bytes);
  await once(socket, 'close');
  return answer;
}
