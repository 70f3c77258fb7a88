import { CodedError } from '@etdi/core';
import { describe, expect, it } from 'vitest';
import {
  AUTH_ERROR_CODES,
  AUTH_FAILURE_CODES,
  AUTH_METHODS,
  AUTH_STATUSES,
  AuthError,
  buildAuthenticator,
  generateApiKey,
  isAuthErrorCode,
  isAuthFailureCode,
  validateAuthConfig,
} from '@etdi/auth';

describe('AuthError', () => {
  it("is the family's CodedError, with a name, a code, a pointer and the cause", () => {
    const cause = new Error('boom');
    const error = new AuthError('invalid-config', '/x: bad', { pointer: '/x', cause });
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'AuthError', code: 'invalid-config', pointer: '/x' });
    expect(error.cause).toBe(cause);
    expect(error.issues).toEqual([{ pointer: '/x', message: '/x: bad' }]);
    expect(error.toJSON()).toEqual({
      name: 'AuthError',
      code: 'invalid-config',
      message: '/x: bad',
      pointer: '/x',
    });
  });

  it('locates itself at the first of several issues, and lists them all in toJSON', () => {
    try {
      validateAuthConfig({ providers: { jwt: { type: 'jwt', algorithm: ['RS256'] } } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AuthError);
      const e = error as AuthError;
      expect(e.pointer).toBe(e.issues[0]!.pointer);
      expect(e.issues.length).toBeGreaterThan(1);
      expect(e.toJSON().issues).toEqual(e.issues);
    }
  });

  it('derives its closed code union and guard from one array, internal-error included', () => {
    expect(AUTH_ERROR_CODES).toContain('internal-error');
    expect(Object.isFrozen(AUTH_ERROR_CODES)).toBe(true);
    expect(AUTH_ERROR_CODES.every((code) => isAuthErrorCode(code))).toBe(true);
    expect(isAuthErrorCode('invalid_config')).toBe(false);
    expect(isAuthFailureCode('token-expired')).toBe(true);
    expect(isAuthFailureCode('token_expired')).toBe(false);
  });

  it('uses one case style (kebab) for every code, status and method', () => {
    for (const code of [
      ...AUTH_ERROR_CODES,
      ...AUTH_FAILURE_CODES,
      ...AUTH_STATUSES,
      ...AUTH_METHODS,
    ]) {
      expect(code, code).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    }
  });

  it('reports a custom provider factory that throws as internal-error at its place', async () => {
    const error = await buildAuthenticator(
      { providers: { partner: { type: 'broken' } } },
      {
        providerTypes: {
          broken: {
            create: () => {
              throw new TypeError('cannot read properties of undefined');
            },
          },
        },
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'internal-error', pointer: '/providers/partner' });
    expect((error as AuthError).cause).toBeInstanceOf(TypeError);
  });

  it('refuses an API key prefix outside the key id alphabet as invalid-argument', () => {
    expect(() => generateApiKey({ prefix: 'bad prefix!' })).toThrow(
      expect.objectContaining({ name: 'AuthError', code: 'invalid-argument', pointer: '/prefix' }),
    );
  });
});
