import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  ApiKeyProvider,
  type AuthCredentials,
  BaseAuthProvider,
  MemoryApiKeyStore,
  TrustedProxyProvider,
  createAuthenticator,
  type AuthMethod,
  type AuthResult,
} from '@etdi/auth';

/** A Fastify app whose pino logger writes JSON lines into `lines`. */
function pinoApp(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = Fastify({ logger: { level, stream } });
  return { app, lines };
}

describe('logging through a real pino logger (Fastify app.log)', () => {
  it('receives the fields of a provider line, not only its message', async () => {
    const { app, lines } = pinoApp();
    new TrustedProxyProvider({ clientAuthEnabled: false, logger: app.log });
    const line = lines.find((l) => String(l.msg).startsWith('SECURITY'));
    expect(line).toMatchObject({
      level: 40,
      provider: 'proxy',
      clientAuthEnabled: false,
      trustProxyAuth: false,
    });
    await app.close();
  });

  it('receives every decision with its provider, status and code, secrets masked', async () => {
    const { app, lines } = pinoApp();
    const keys = new ApiKeyProvider({ store: new MemoryApiKeyStore(), logger: app.log });
    const key = (await keys.issueKey({ userId: 'alice' })).reveal();
    const auth = createAuthenticator({ providers: [keys], logger: app.log });
    const wrong = `${key.split('.')[0]}.${'A'.repeat(43)}`;
    await auth.authenticateRequest({
      headers: { 'x-api-key': wrong },
      socket: { remoteAddress: '192.0.2.7' },
      url: '/mcp',
    });
    const decision = lines.find((l) => String(l.msg).startsWith('auth invalid'));
    expect(decision).toMatchObject({
      level: 30,
      provider: 'api-key',
      status: expect.any(String),
      error: 'invalid-api-key',
      remoteAddress: '192.0.2.7',
      path: '/mcp',
    });
    expect(lines.find((l) => l.msg === 'API key issued')).toMatchObject({
      provider: 'api-key',
      userId: 'alice',
      keyId: key.split('.')[0],
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(key.split('.')[1]);
    expect(text).not.toContain(wrong.split('.')[1]);
    await app.close();
  });

  it('masks secret-named fields a careless provider logs before pino sees them', async () => {
    const { app, lines } = pinoApp();
    class CarelessProvider extends BaseAuthProvider {
      readonly version = '0';
      protected readonly method: AuthMethod = 'custom';
      constructor() {
        super('careless', { logger: app.log });
      }
      supportedMethods(): readonly AuthMethod[] {
        return ['custom'];
      }
      protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
        this.logger.info({ accessToken: credentials.accessToken, credentials }, 'careless');
        return this.noCredentials('never mind');
      }
    }
    const auth = createAuthenticator({ providers: [new CarelessProvider()] });
    await auth.authenticateRequest({ headers: { authorization: 'Bearer pino-secret-token-1234' } });
    expect(lines.find((l) => l.msg === 'careless')).toMatchObject({
      accessToken: '****1234',
      credentials: { accessToken: '****1234', headers: { authorization: '****1234' } },
    });
    expect(JSON.stringify(lines)).not.toContain('pino-secret-token');
    await app.close();
  });
});
