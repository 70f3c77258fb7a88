import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AUTH_FAILURE_CODES,
  AUTH_METHODS,
  AUTH_STATUSES,
  AuthCredentials,
  AuthResult,
  TokenSet,
  httpStatusFor,
  isAuthMethod,
  isAuthStatus,
} from '@etdi/auth';

const SECRETS = {
  apiKey: 'my-secret-key-12345',
  gatewayKey: 'gateway-secret-67890',
  accessToken: 'access-token-secret-abcd',
  refreshToken: 'refresh-token-secret-efgh',
  idToken: 'id-token-secret-ijkl',
  password: 'hunter2-very-secret-mnop',
};

function everyRendering(value: object): string[] {
  return [
    String(value),
    `${value as { toString(): string }}`,
    JSON.stringify(value),
    inspect(value),
    inspect(value, { depth: Infinity, showHidden: true }),
    JSON.stringify({ ...value }),
    JSON.stringify(Object.entries(value)),
    JSON.stringify(structuredClone({ ...value })),
  ];
}

describe('AuthCredentials', () => {
  const creds = new AuthCredentials({
    ...SECRETS,
    username: 'alice',
    projectId: 'p1',
    headers: {
      authorization: 'Bearer access-token-secret-abcd',
      'x-api-key': SECRETS.apiKey,
      'x-custom-key': 'custom-secret-qrst',
      accept: 'application/json',
    },
    sensitiveHeaders: ['X-Custom-Key'],
    context: { remoteAddress: '10.0.0.1', path: '/mcp' },
  });

  it('masks every secret as ****<last 4> (maskSecret from @etdi/core)', () => {
    const json = creds.toJSON();
    expect(json.apiKey).toBe('****2345');
    expect(json.gatewayKey).toBe('****7890');
    expect(json.accessToken).toBe('****abcd');
    expect(json.refreshToken).toBe('****efgh');
    expect(json.idToken).toBe('****ijkl');
    expect(json.password).toBe('****mnop');
    expect(json.username).toBe('alice');
  });

  it('masks sensitive headers, built-in and configured, and keeps the others', () => {
    const headers = creds.toJSON().headers as Record<string, string>;
    expect(headers.authorization).toBe('****abcd');
    expect(headers['x-api-key']).toBe('****2345');
    expect(headers['x-custom-key']).toBe('****qrst');
    expect(headers.accept).toBe('application/json');
  });

  it('never shows a secret in toString, util.inspect, JSON, spread or entries', () => {
    for (const rendering of everyRendering(creds)) {
      for (const secret of [...Object.values(SECRETS), 'custom-secret-qrst']) {
        expect(rendering).not.toContain(secret);
      }
    }
    expect(String(creds)).toContain('apiKey: "****2345"');
    expect(inspect(creds)).toContain('AuthCredentials');
  });

  it('still gives providers the real values through getters', () => {
    expect(creds.apiKey).toBe(SECRETS.apiKey);
    expect(creds.password).toBe(SECRETS.password);
    expect(creds.header('X-API-KEY')).toBe(SECRETS.apiKey);
  });

  it('carries secrets over in with() unless replaced', () => {
    const next = creds.with({ accessToken: 'new-token-zzzzzz' });
    expect(next.accessToken).toBe('new-token-zzzzzz');
    expect(next.apiKey).toBe(SECRETS.apiKey);
    expect(next.context.path).toBe('/mcp');
  });
});

describe('AuthResult', () => {
  it('is a success exactly when status is success', () => {
    const ok = new AuthResult({
      status: 'success',
      message: 'ok',
      source: { provider: 'jwt', method: 'jwt' },
      permissions: ['a', 'b'],
    });
    expect(ok.isSuccess).toBe(true);
    expect(ok.authenticated).toBe(true);
    expect(ok.scopes).toEqual(['a', 'b']);
    expect(ok.error).toBeUndefined();
    expect(ok.sources).toEqual([{ provider: 'jwt', method: 'jwt' }]);
  });

  it('always names a failure code for a failure', () => {
    const bad = new AuthResult({
      status: 'expired',
      message: 'expired',
      source: { provider: 'jwt', method: 'jwt' },
    });
    expect(bad.isSuccess).toBe(false);
    expect(bad.authenticated).toBe(false);
    expect(bad.error).toBe('internal-error');
  });

  it('masks the session id, a bearer secret, when shown', () => {
    const result = new AuthResult({
      status: 'success',
      message: 'ok',
      source: { provider: 'p', method: 'api-key' },
      sessionId: 'session-secret-value-9876',
    });
    expect(result.sessionId).toBe('session-secret-value-9876');
    for (const rendering of [
      JSON.stringify(result),
      inspect(result),
      inspect(result, { depth: Infinity }),
    ]) {
      expect(rendering).not.toContain('session-secret-value-9876');
    }
    expect(result.toJSON().sessionId).toBe('****9876');
  });

  it('masks tokens it carries', () => {
    const result = new AuthResult({
      status: 'success',
      message: 'refreshed',
      source: { provider: 'oauth2', method: 'oauth' },
      tokens: new TokenSet({
        accessToken: 'new-access-token-wxyz',
        refreshToken: 'new-refresh-1234',
      }),
    });
    for (const rendering of everyRendering(result)) {
      expect(rendering).not.toContain('new-access-token-wxyz');
      expect(rendering).not.toContain('new-refresh-1234');
    }
    expect(result.tokens?.accessToken).toBe('new-access-token-wxyz');
    expect(JSON.stringify(result)).toContain('****wxyz');
  });
});

describe('closed unions', () => {
  it('lists every status and method of the contract', () => {
    expect(AUTH_STATUSES).toEqual([
      'success',
      'failure',
      'expired',
      'invalid-credentials',
      'insufficient-permissions',
      'rate-limited',
      'error',
    ]);
    expect(AUTH_METHODS).toEqual([
      'api-key',
      'oauth',
      'jwt',
      'basic-auth',
      'bearer-token',
      'mtls',
      'proxy',
      'custom',
    ]);
    expect(isAuthStatus('expired')).toBe(true);
    expect(isAuthStatus('EXPIRED')).toBe(false);
    expect(isAuthMethod('mtls')).toBe(true);
    expect(isAuthMethod(42)).toBe(false);
    expect(new Set(AUTH_FAILURE_CODES).size).toBe(AUTH_FAILURE_CODES.length);
  });

  it('maps each status to an HTTP status', () => {
    expect(AUTH_STATUSES.map((s) => [s, httpStatusFor(s)])).toEqual([
      ['success', 200],
      ['failure', 401],
      ['expired', 401],
      ['invalid-credentials', 401],
      ['insufficient-permissions', 403],
      ['rate-limited', 429],
      ['error', 503],
    ]);
  });
});
