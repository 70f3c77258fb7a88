import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiKeyProvider,
  BaseAuthProvider,
  MemoryApiKeyStore,
  TrustedProxyProvider,
  buildAuthenticator,
  createAuthenticator,
  etdiAuth,
  wwwAuthenticate,
  type AuthCredentials,
  type AuthMethod,
  type AuthResult,
  type Authenticator,
} from '@etdi/auth';

/** A provider that reads a header of its own, as custom providers do. */
class PartnerProvider extends BaseAuthProvider {
  readonly version = '1.0.0';
  protected readonly method: AuthMethod = 'custom';
  constructor() {
    super('partner');
  }
  supportedMethods(): readonly AuthMethod[] {
    return ['custom'];
  }
  override credentialHeaders(): readonly string[] {
    return ['x-partner-secret'];
  }
  protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    const presented = credentials.header('x-partner-secret');
    if (presented === undefined) return this.noCredentials('No partner secret');
    return presented === 'partner-secret-value'
      ? this.success({ userId: 'partner' })
      : this.failure('invalid-credentials', 'invalid-api-key', 'Wrong partner secret');
  }
}

describe('Authenticator.credentialHeaders', () => {
  it('names Authorization, every configured extraction header and the headers providers read', () => {
    const auth = createAuthenticator({
      providers: [
        new ApiKeyProvider({ store: new MemoryApiKeyStore() }),
        new TrustedProxyProvider({
          trustProxyAuth: true,
          trustedProxies: ['10.0.0.0/8'],
          proxyGroupsHeader: 'X-Forwarded-Groups',
        }),
        new PartnerProvider(),
      ],
      extract: {
        headers: { apiKey: 'X-Acme-Key', projectId: 'X-Project-Id' },
        clientCertificateHeader: { name: 'X-SSL-Client-Cert', format: 'pem' },
      },
    });
    expect(auth.credentialHeaders()).toEqual([
      'authorization',
      'x-acme-key',
      'x-project-id',
      'x-ssl-client-cert',
      'x-authenticated-user',
      'x-forwarded-groups',
      'x-partner-secret',
    ]);
  });

  it('names the default X-API-Key when nothing is configured', () => {
    expect(createAuthenticator({ providers: [] }).credentialHeaders()).toEqual([
      'authorization',
      'x-api-key',
    ]);
  });

  it('names the headers a configuration file configures', async () => {
    const auth = await buildAuthenticator({
      extraction: { headers: { gatewayKey: 'X-Gateway-Key' } },
      providers: {
        keys: { type: 'apiKey', credentialField: 'gatewayKey' },
        edge: {
          type: 'proxy',
          trustProxyAuth: true,
          trustedProxies: ['10.0.0.0/8'],
          proxyUserHeader: 'X-Remote-User',
        },
      },
    });
    expect(auth.credentialHeaders()).toEqual([
      'authorization',
      'x-api-key',
      'x-gateway-key',
      'x-remote-user',
    ]);
    await auth.close();
  });
});

describe('a gateway that strips credentialHeaders() before forwarding', () => {
  let upstream: Server | undefined;
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
    upstream = app = undefined;
  });

  /** A real upstream that records the headers it receives, behind a Fastify "gateway". */
  async function start(auth: Authenticator) {
    const seen: IncomingHttpHeaders[] = [];
    upstream = createServer((req, res) => {
      seen.push(req.headers);
      res.end('{}');
    });
    await new Promise<void>((resolve) => upstream!.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
    const strip = new Set(auth.credentialHeaders());
    app = Fastify();
    await app.register(etdiAuth, { authenticator: auth });
    app.post('/mcp', async (request) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && !strip.has(name) && name !== 'host') headers[name] = value;
      }
      await fetch(target, { method: 'POST', headers, body: '{}' });
      return { caller: request.auth!.userId };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { seen, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/mcp` };
  }

  it('never passes a custom X-Acme-Key that authenticated the caller to the upstream', async () => {
    const keys = new ApiKeyProvider({ store: new MemoryApiKeyStore() });
    const key = (await keys.issueKey({ userId: 'alice' })).reveal();
    const auth = createAuthenticator({
      providers: [keys, new PartnerProvider()],
      extract: { headers: { apiKey: 'X-Acme-Key' } },
    });
    const { seen, url } = await start(auth);
    const viaKey = await fetch(url, {
      method: 'POST',
      headers: { 'X-Acme-Key': key, 'X-Request-Id': 'r1', 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(await viaKey.json()).toEqual({ caller: 'alice' });
    const viaPartner = await fetch(url, {
      method: 'POST',
      headers: { 'X-Partner-Secret': 'partner-secret-value', 'X-Request-Id': 'r2' },
      body: '{}',
    });
    expect(await viaPartner.json()).toEqual({ caller: 'partner' });
    expect(seen.map((h) => h['x-request-id'])).toEqual(['r1', 'r2']);
    for (const headers of seen) {
      expect(headers['x-acme-key']).toBeUndefined();
      expect(headers['x-partner-secret']).toBeUndefined();
      expect(JSON.stringify(headers)).not.toContain(key.split('.')[1]);
      expect(JSON.stringify(headers)).not.toContain('partner-secret-value');
    }
  });
});

describe('wwwAuthenticate with a challenge the caller computes', () => {
  it('emits insufficient_scope with the scopes a tool needs', () => {
    expect(
      wwwAuthenticate(
        {
          error: 'insufficient_scope',
          scope: ['files:write', 'files:admin'],
          description: 'delete_file needs files:write files:admin',
        },
        {
          resourceMetadataUrl:
            'https://gw.example/.well-known/oauth-protected-resource/servers/files/mcp',
        },
      ),
    ).toEqual([
      'Bearer realm="etdi", error="insufficient_scope", error_description="delete_file needs files:write files:admin", scope="files:write files:admin", resource_metadata="https://gw.example/.well-known/oauth-protected-resource/servers/files/mcp"',
    ]);
  });

  it('emits a bare challenge without an error', () => {
    expect(wwwAuthenticate({}, { realm: 'mcp' })).toEqual(['Bearer realm="mcp"']);
  });
});
