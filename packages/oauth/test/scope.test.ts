import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOAuthService } from '@etdi/oauth';
import { CapturingLogger, clientCredentials, errorOf, tokenOf } from './support/harness.js';
import { TestOAuthServer } from './support/oauth-server.js';

let server: TestOAuthServer;

beforeAll(async () => {
  server = await TestOAuthServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('scope validation', () => {
  describe('when the server downgrades the scope', () => {
    beforeEach(() => {
      server.settings.grantScope = () => 'tools:read';
    });

    it('fails with insufficient-scope by default and caches nothing', async () => {
      const oauth = createOAuthService();
      const config = clientCredentials(server, { scope: 'tools:read tools:call' });
      const result = await oauth.getAccessToken('upstream', config);
      expect(errorOf(result)).toMatchObject({ code: 'insufficient-scope' });
      expect(errorOf(result).message).toContain('missing: tools:call');
      await oauth.getAccessToken('upstream', config);
      expect(server.tokenRequests).toHaveLength(2);
    });

    it('warns and returns the token with validateScopes "warn"', async () => {
      const logger = new CapturingLogger();
      const oauth = createOAuthService({ logger });
      const config = clientCredentials(server, { validateScopes: 'warn' });
      const result = await oauth.getAccessToken('upstream', config);
      expect(tokenOf(result).scope).toBe('tools:read');
      const warning = logger.lines.find((l) => l.fields.code === 'insufficient-scope')!;
      expect(warning.level).toBe('warn');
      expect(warning.fields.missing).toEqual(['tools:call']);
    });

    it('says nothing with validateScopes "off"', async () => {
      const logger = new CapturingLogger();
      const oauth = createOAuthService({ logger });
      const config = clientCredentials(server, { validateScopes: 'off' });
      expect((await oauth.getAccessToken('upstream', config)).ok).toBe(true);
      expect(logger.lines.some((l) => l.fields.code === 'insufficient-scope')).toBe(false);
    });
  });

  describe('when the server grants more, or in another order', () => {
    it('accepts it', async () => {
      server.settings.grantScope = () => 'admin tools:call tools:read';
      const oauth = createOAuthService();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(tokenOf(result).scope).toBe('admin tools:call tools:read');
    });
  });

  describe('when the response has no scope', () => {
    it('takes the requested scope as granted (RFC 6749 §5.1)', async () => {
      server.settings.includeScope = false;
      const oauth = createOAuthService();
      const result = await oauth.getAccessToken('upstream', clientCredentials(server));
      expect(tokenOf(result).scope).toBe('tools:read tools:call');
    });
  });
});
