import { describe, expect, it } from 'vitest';
import { AccessToken, CREDENTIAL_HEADERS, injectToken, type HttpInjectOptions } from '@etdi/oauth';

const token = new AccessToken('at-upstream-token-abcdef', Date.now() + 60_000, 'tools:read');

/** What @etdi/auth reports for a deployment with a custom API key header. */
const AUTH_HEADERS = ['authorization', 'X-Acme-Key'];
const standardOnly = { credentialHeaders: [] } as const;

describe('injectToken', () => {
  describe('for an HTTP upstream', () => {
    it('sets the Bearer header and drops the caller credentials in any letter case', () => {
      const headers = {
        Authorization: 'Bearer caller-token',
        AUTHORIZATION: 'Bearer other',
        'content-type': 'application/json',
      };
      const out = injectToken({ transport: 'http', headers }, token, standardOnly);
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
        const out = injectToken({ transport: 'http', headers }, token, standardOnly);
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
        const out = injectToken({ transport: 'http', headers }, token, standardOnly);
        expect(out.headers).toEqual({ authorization: 'Bearer at-upstream-token-abcdef' });
      });

      it('strips every header the caller authenticated with, custom names included', () => {
        // The gateway passes @etdi/auth's list: a custom X-Acme-Key that authenticated the
        // caller must not reach the upstream, in any letter case.
        const out = injectToken(
          {
            transport: 'http',
            headers: { 'x-acme-key': 'acme-caller-key', 'X-ACME-KEY': 'again', 'x-trace': 't' },
          },
          token,
          { credentialHeaders: AUTH_HEADERS },
        );
        expect(out.headers).toEqual({
          'x-trace': 't',
          authorization: 'Bearer at-upstream-token-abcdef',
        });
      });

      it('keeps stripping the standard headers whatever list it is given', () => {
        const out = injectToken(
          {
            transport: 'http',
            headers: { Cookie: 'session=caller', 'Proxy-Authorization': 'Basic x', 'x-trace': 't' },
          },
          token,
          { credentialHeaders: ['x-acme-key'] },
        );
        expect(out.headers).toEqual({
          'x-trace': 't',
          authorization: 'Bearer at-upstream-token-abcdef',
        });
      });

      it('refuses an HTTP target without a credential header list', () => {
        for (const options of [undefined, {}, { credentialHeaders: 'x-acme-key' }]) {
          expect(() =>
            injectToken(
              { transport: 'http', headers: { 'x-acme-key': 'k' } },
              token,
              options as unknown as HttpInjectOptions,
            ),
          ).toThrow(expect.objectContaining({ name: 'OAuthError', code: 'invalid-argument' }));
        }
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
              'X-Acme-Key': 'acme-caller-key',
            },
          },
          token,
          {
            credentialHeaders: AUTH_HEADERS,
            allowHeaders: [
              'content-type',
              'MCP-SESSION-ID',
              'cookie',
              'authorization',
              'x-acme-key',
            ],
          },
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
        injectToken({ transport: 'http', headers: {}, url: 'https://u.example/mcp' }, token, {
          credentialHeaders: AUTH_HEADERS,
          placement: 'query',
        }),
      ).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    });

    it('puts the token in the URL only for an OAuth 2.0 legacy upstream that asks for it', () => {
      const out = injectToken(
        {
          transport: 'http',
          headers: {
            authorization: 'Bearer caller',
            'x-api-key': 'caller-key',
            'x-acme-key': 'acme-caller-key',
          },
          url: 'https://u.example/mcp?x=1',
        },
        token,
        {
          credentialHeaders: AUTH_HEADERS,
          config: { version: '2.0', tokenInHeaderOnly: false },
          placement: 'query',
        },
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
        config: { tokenEnvVar: 'GITHUB_TOKEN' },
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
        const out = injectToken({ transport: 'stdio', env: gatewayEnv }, token, {
          allowEnv: ['NODE_OPTIONS', 'NOT_SET'],
        });
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
