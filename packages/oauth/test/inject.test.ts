import { describe, expect, it } from 'vitest';
import { AccessToken, injectToken } from '@etdi/oauth';

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
          headers: { authorization: 'Bearer caller' },
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
  });
});
