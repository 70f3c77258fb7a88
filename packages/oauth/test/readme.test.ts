/**
 * The README's promises, checked: its configuration example validates, its defaults table and
 * error table say what the code does, and the seam it shows between `@etdi/auth`'s credential
 * headers and `injectToken` holds against the real test server.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OAUTH_CONFIG_DEFAULTS,
  OAUTH_ERROR_CODES,
  OAuthConfigSchema,
  assertOAuthConfig,
  createOAuthService,
  injectToken,
} from '@etdi/oauth';
import { TestOAuthServer } from '../../../testing/oauth-server.js';
import { clientCredentials, tokenOf } from './support/harness.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The rows of the Markdown table that follows `marker` (or the heading `marker`). */
function tableAfter(marker: string): string[][] {
  const start = readme.indexOf(marker);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The names in backticks of a cell: `audience`, `organization` → ['audience', 'organization']. */
function names(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

describe('README', () => {
  describe('the configuration example', () => {
    const example = /<!-- readme-config: json -->\s*```json\n([\s\S]*?)```/.exec(readme);

    it('is there and validates', () => {
      expect(example).not.toBeNull();
      expect(() => assertOAuthConfig(JSON.parse(example![1]!))).not.toThrow();
    });
  });

  describe('the configuration table', () => {
    const rows = tableAfter('<!-- readme-defaults -->');

    it('lists every member of OAuthConfigSchema', () => {
      const listed = rows.flatMap((row) => names(row[0]!));
      expect(listed.sort()).toEqual(Object.keys(OAuthConfigSchema.properties).sort());
    });

    it('shows exactly the defaults of OAUTH_CONFIG_DEFAULTS', () => {
      const shown = Object.fromEntries(
        rows
          .filter((row) => row[1] !== '')
          .map((row) => {
            const value = /^`(.*)`$/.exec(row[1]!)![1]!;
            return [
              names(row[0]!)[0]!,
              value.startsWith("'") ? value.slice(1, -1) : JSON.parse(value),
            ];
          }),
      );
      expect(shown).toEqual({ ...OAUTH_CONFIG_DEFAULTS });
    });
  });

  describe('the error table', () => {
    it('lists exactly OAUTH_ERROR_CODES, in order', () => {
      const codes = tableAfter('## Errors').map((row) => names(row[0]!)[0]);
      expect(codes).toEqual([...OAUTH_ERROR_CODES]);
    });
  });

  describe('the credential header seam', () => {
    let server: TestOAuthServer;
    beforeAll(async () => {
      server = await TestOAuthServer.start();
    });
    afterAll(() => server.close());

    it('forwards the gateway token and none of the headers the caller authenticated with', async () => {
      // What @etdi/auth's credentialHeaders() reports for a deployment with a custom key header.
      const credentialHeaders = ['authorization', 'x-acme-key'];
      const upstream = { name: 'files', oauth: clientCredentials(server) };
      const oauth = createOAuthService();
      const result = await oauth.getAccessToken(upstream.name, upstream.oauth);
      const callerHeaders = {
        authorization: 'Bearer caller-token',
        'X-Acme-Key': 'acme-key-of-the-caller',
        cookie: 'session=caller',
        'mcp-session-id': 's-1',
      };
      const { headers } = injectToken(
        { transport: 'http', headers: callerHeaders },
        tokenOf(result),
        {
          credentialHeaders,
          config: upstream.oauth,
        },
      );
      expect(headers).toEqual({
        'mcp-session-id': 's-1',
        authorization: `Bearer ${server.lastIssued()}`,
      });
    });
  });
});
