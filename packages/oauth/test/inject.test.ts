import { describe, expect, it } from 'vitest';
import { AccessToken, CREDENTIAL_HEADERS, injectToken } from '@etdi/oauth';

const token = new AccessToken('at-upstream-token-abcdef', Date.now() + 60_000, 'tools:read');

describe('injectToken', () => {
  describe('for an HTTP upstream', () => {
    it('sets the Bearer header and drops the caller credentials in any letter case', () => {
      const headers = {
        Authorization: 'Bearer caller-token',
        AUTHORIZATION: 'Bearer other',
        'content-type': 'application/json',
      };
      const out = injectToken({ transport: 'http', headers }, token);
      expect(out.headers).toEqual({
        'content-type': 'application/json',
        authorization: 'Bearer at-upstream-token-abcdef',
      });
      expect(headers.Authorization).toBe('Bearer caller-token'); // input untouched
    });

    describe('when the caller sent other credentials', () => {
      it('passes none of them upstream (no token passthrough)', () => {
        // The reviewer's repro: only Authorization used to be removed.
        const headers = {
          Authorization: 'Bearer caller',
          'X-API-Key': 'etdi_abc.callersecret',
          Cookie: 'session=caller',
          'Proxy-Authorization': 'Basic Zm9vOmJhcg==',
          'x-gateway-key': 'gk-gateway-own-key',
          'X-Auth-Token': 'caller-auth-token',
          'X-SSL-Client-Cert': '-----BEGIN CERTIFICATE-----',
          'X-SSL-Client-Verify': 'SUCCESS',
          'X-Client-Cert': 'MIIB',
          'X-Forwarded-Client-Cert': 'Hash=abc;Cert="..."',
          'X-Authenticated-User': 'alice',
          'x-remote-user': 'alice',
          'X-Auth-Request-Access-Token': 'caller-token',
          accept: 'application/json',
          'mcp-session-id': 's-1',
        };
        const out = injectToken({ transport: 'http', headers }, token);
        expect(out.headers).toEqual({
          accept: 'application/json',
          'mcp-session-id': 's-1',
          authorization: 'Bearer at-upstream-token-abcdef',
        });
      });

      it('strips every listed credential header whatever its letter case', () => {
        const headers = Object.fromEntries(
          CREDENTIAL_HEADERS.map((name, i) => [i % 2 === 0 ? name.toUpperCase() : name, 'secret']),
        );
        const out = injectToken({ transport: 'http', headers }, token);
        expect(out.headers).toEqual({ authorization: 'Bearer at-upstream-token-abcdef' });
      });

      it('strips the extra headers the deployment names', () => {
        const out = injectToken(
          { transport: 'http', headers: { 'X-Tenant-Secret': 's', 'x-trace': 't' } },
          token,
          {},
          { stripHeaders: ['x-tenant-secret'] },
        );
        expect(out.headers).toEqual({
          'x-trace': 't',
          authorization: 'Bearer at-upstream-token-abcdef',
        });
      });
    });

    describe('in allowlist mode', () => {
      it('passes only the listed headers, and never a credential even when listed', () => {
        const out = injectToken(
          {
            transport: 'http',
            headers: {
              'Content-Type': 'application/json',
              'Mcp-Session-Id': 's-1',
              'x-internal-routing': 'blue',
              Cookie: 'session=caller',
              authorization: 'Bearer caller',
            },
          },
          token,
          {},
          { allowHeaders: ['content-type', 'MCP-SESSION-ID', 'cookie', 'authorization'] },
        );
        expect(out.headers).toEqual({
          'Content-Type': 'application/json',
          'Mcp-Session-Id': 's-1',
          authorization: 'Bearer at-upstream-token-abcdef',
        });
      });
    });

    it('refuses the query placement while tokenInHeaderOnly is on', () => {
      expect(() =>
        injectToken(
          { transport: 'http', headers: {}, url: 'https://u.example/mcp' },
          token,
          {},
          {
            placement: 'query',
          },
        ),
      ).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    });

    it('puts the token in the URL only for an OAuth 2.0 legacy upstream that asks for it', () => {
      const out = injectToken(
        {
          transport: 'http',
          headers: { authorization: 'Bearer caller', 'x-api-key': 'caller-key' },
          url: 'https://u.example/mcp?x=1',
        },
        token,
        { version: '2.0', tokenInHeaderOnly: false },
        { placement: 'query' },
      );
      expect(out.url).toBe('https://u.example/mcp?x=1&access_token=at-upstream-token-abcdef');
      expect(out.headers).toEqual({});
    });
  });

  describe('for a stdio upstream', () => {
    it('sets OAUTH_ACCESS_TOKEN by default', () => {
      const out = injectToken({ transport: 'stdio', env: { PATH: '/bin' } }, token);
      expect(out.env).toEqual({ PATH: '/bin', OAUTH_ACCESS_TOKEN: 'at-upstream-token-abcdef' });
    });

    it('uses the configured variable name', () => {
      const out = injectToken({ transport: 'stdio', env: {} }, token, {
        tokenEnvVar: 'GITHUB_TOKEN',
      });
      expect(out.env).toEqual({ GITHUB_TOKEN: 'at-upstream-token-abcdef' });
    });

    describe('when given the gateway environment', () => {
      const gatewayEnv = {
        PATH: '/usr/bin:/bin',
        HOME: '/home/etdi',
        LANG: 'C.UTF-8',
        NODE_OPTIONS: '--enable-source-maps',
        ETDI_TOKEN_CACHE_KEY: 'gateway-cache-key-base64',
        UPSTREAM_CLIENT_SECRET: 'gateway-client-secret',
        OAUTH_ACCESS_TOKEN: 'stale-token-from-the-gateway-env',
      };

      it('passes only PATH, HOME and LANG, never the gateway secrets', () => {
        const out = injectToken({ transport: 'stdio', env: gatewayEnv }, token);
        expect(out.env).toEqual({
          PATH: '/usr/bin:/bin',
          HOME: '/home/etdi',
          LANG: 'C.UTF-8',
          OAUTH_ACCESS_TOKEN: 'at-upstream-token-abcdef',
        });
      });

      it('adds the variables the caller allows, and only those present', () => {
        const out = injectToken(
          { transport: 'stdio', env: gatewayEnv },
          token,
          {},
          { allowEnv: ['NODE_OPTIONS', 'NOT_SET'] },
        );
        expect(out.env).toEqual({
          PATH: '/usr/bin:/bin',
          HOME: '/home/etdi',
          LANG: 'C.UTF-8',
          NODE_OPTIONS: '--enable-source-maps',
          OAUTH_ACCESS_TOKEN: 'at-upstream-token-abcdef',
        });
      });

      it('works with process.env itself', () => {
        process.env.ETDI_INJECT_TEST_SECRET = 'must-not-leak';
        try {
          const out = injectToken({ transport: 'stdio', env: process.env }, token);
          expect(Object.keys(out.env).sort()).toEqual(
            ['PATH', 'HOME', 'LANG', 'OAUTH_ACCESS_TOKEN']
              .filter((name) => name === 'OAUTH_ACCESS_TOKEN' || process.env[name] !== undefined)
              .sort(),
          );
        } finally {
          delete process.env.ETDI_INJECT_TEST_SECRET;
        }
      });
    });
  });
});
