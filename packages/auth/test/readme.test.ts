import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  type ApiKeyProvider,
  type IssuedApiKey,
  buildAuthenticator,
  parseAuthConfig,
  validateAuthConfig,
  verifyPassword,
} from '@etdi/auth';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The configuration examples of the README, marked `<!-- readme-config: json|yaml -->`. */
function examples(): { format: 'json' | 'yaml'; text: string }[] {
  const found = [
    ...readme.matchAll(/<!-- readme-config: (json|yaml) -->\s*```(?:json|yaml)\n([\s\S]*?)```/g),
  ];
  return found.map((m) => ({ format: m[1] as 'json' | 'yaml', text: m[2]! }));
}

describe('README', () => {
  const env = { ETDI_API_KEY_PEPPER: 'pepper', INTROSPECTION_CLIENT_SECRET: 'secret' };

  it('has JSON and YAML configuration examples', () => {
    expect(new Set(examples().map((e) => e.format))).toEqual(new Set(['json', 'yaml']));
  });

  it('shows configuration examples that validate', () => {
    for (const example of examples()) {
      expect(
        () => parseAuthConfig(example.text, example.format, { env }),
        example.format,
      ).not.toThrow();
    }
  });

  it('shows a JSON example that builds, with a real password hash', async () => {
    const json = examples().find((e) => e.format === 'json')!;
    const config = parseAuthConfig(json.text, 'json', { env });
    const auth = await buildAuthenticator(config, { env });
    expect(auth.registry.names()).toEqual(['jwt', 'oauth', 'basic']);
    const hash = (config.providers.basic as unknown as { users: { passwordHash: string }[] })
      .users[0]!.passwordHash;
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    const result = await auth.authenticateRequest({
      headers: {
        authorization: `Basic ${Buffer.from('ops:correct horse battery staple').toString('base64')}`,
      },
    });
    expect(result).toMatchObject({ status: 'success', userId: 'ops', permissions: ['admin'] });
    await auth.close();
  });
});

describe('README: gateway keys', () => {
  const example = examples().find((e) => e.text.includes('credentialField: gatewayKey'))!;

  it('reads a key sent as X-Gateway-Key, as the example says', async () => {
    const auth = await buildAuthenticator(parseAuthConfig(example.text, example.format));
    const gateway = auth.registry.require('gateway') as ApiKeyProvider;
    const key = (await gateway.issueKey({ userId: 'partner' })).reveal();
    expect(await auth.authenticateRequest({ headers: { 'x-gateway-key': key } })).toMatchObject({
      status: 'success',
      userId: 'partner',
    });
    await auth.close();
  });

  it('does not start without the header the key is read from', () => {
    const config = parseAuthConfig(example.text, example.format) as { extraction?: unknown };
    delete config.extraction;
    expect(() => validateAuthConfig(config)).toThrow(
      expect.objectContaining({
        code: 'invalid-config',
        pointer: '/providers/gateway/credentialField',
      }),
    );
  });
});

/** The TypeScript examples of the README marked `<!-- readme-example: name -->`. */
function codeExample(name: string): string {
  const m = new RegExp(`<!-- readme-example: ${name} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(
    readme,
  );
  if (!m) throw new Error(`README has no example "${name}"`);
  return m[1]!;
}

/**
 * Runs an example as written, as a module of its own, and hands back what it defined: the
 * example plus one `export` line, in a file next to this test (so `@etdi/auth` resolves).
 */
async function runExample<T>(name: string, exported: string): Promise<T> {
  const file = fileURLToPath(new URL(`./readme-${name}.example.ts`, import.meta.url));
  writeFileSync(file, `${codeExample(name)}\nexport { ${exported} };\n`);
  try {
    return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as T;
  } finally {
    rmSync(file, { force: true });
  }
}

describe('README: Fastify examples', () => {
  it('quick start: the plugin guards /mcp, exempts /healthz, and hands request.auth to the route', async () => {
    const { app, issued } = await runExample<{ app: FastifyInstance; issued: IssuedApiKey }>(
      'quick-start',
      'app, issued',
    );
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const refused = await app.inject({ method: 'POST', url: '/mcp' });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ status: 401, code: 'no-credentials' });
    const accepted = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { 'x-api-key': issued.reveal() },
    });
    expect(accepted.json()).toEqual({ userId: 'ci-bot', permissions: ['tools:call'] });
    await app.close();
  });

  it('registry: only the route naming app.requireAuth is guarded', async () => {
    const { app, keys } = await runExample<{ app: FastifyInstance; keys: ApiKeyProvider }>(
      'fastify-routes',
      'app, keys',
    );
    expect((await app.inject({ url: '/v1/tools' })).json()).toEqual({ tools: [] });
    expect((await app.inject({ method: 'POST', url: '/v1/tools' })).statusCode).toBe(401);
    const key = (await keys.issueKey({ userId: 'publisher' })).reveal();
    const stored = await app.inject({
      method: 'POST',
      url: '/v1/tools',
      headers: { 'x-api-key': key },
    });
    expect(stored.statusCode).toBe(201);
    expect(stored.json()).toEqual({ publishedBy: 'publisher' });
    await app.close();
  });

  it('gateway: each MCP route names its own RFC 9728 metadata document', async () => {
    const { app } = await runExample<{ app: FastifyInstance }>('fastify-gateway', 'app');
    const res = await app.inject({ method: 'POST', url: '/servers/files/mcp' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="etdi", resource_metadata="https://gateway.example.com/.well-known/oauth-protected-resource/servers/files/mcp"',
    );
    expect(codeExample('fastify-gateway')).toContain(String(res.headers['www-authenticate']));
    await app.close();
  });

  it('gateway: a scope check a route computes gets an insufficient_scope challenge', async () => {
    const { app, keys } = await runExample<{ app: FastifyInstance; keys: ApiKeyProvider }>(
      'fastify-scope',
      'app, keys',
    );
    const key = (await keys.issueKey({ userId: 'ci', scopes: ['files:read'] })).reveal();
    const headers = { 'x-api-key': key };
    const refused = await app.inject({ method: 'POST', url: '/tools/delete_file/call', headers });
    expect(refused.statusCode).toBe(403);
    // One challenge: one header line on the wire (inject shows the value Fastify was given).
    expect([refused.headers['www-authenticate']].flat()).toEqual([
      'Bearer realm="etdi", error="insufficient_scope", error_description="delete_file needs files:write", scope="files:write"',
    ]);
    expect(codeExample('fastify-scope')).toContain(String(refused.headers['www-authenticate']));
    expect(refused.json()).toMatchObject({ status: 403, code: 'insufficient-scope' });
    const allowed = await app.inject({ method: 'POST', url: '/tools/read_file/call', headers });
    expect(allowed.json()).toEqual({ called: 'read_file' });
    await app.close();
  });
});
