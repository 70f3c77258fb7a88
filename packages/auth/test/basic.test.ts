import { describe, expect, it } from 'vitest';
import {
  AuthError,
  BasicAuthProvider,
  extractCredentials,
  hashPassword,
  verifyPassword,
} from '@etdi/auth';

const fast = { ln: 10 };
const header = (user: string, password: string) => ({
  headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
});

describe('password hashes', () => {
  it('are scrypt in the PHC string format, salted', async () => {
    const a = await hashPassword('correct horse', fast);
    const b = await hashPassword('correct horse', fast);
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
  });
  it('match the same password in either Unicode normal form', async () => {
    const stored = await hashPassword('caf\u00e9', fast);
    expect(await verifyPassword('cafe\u0301', stored)).toBe(true);
  });
  it('refuse malformed hashes and parameters that cost too much', async () => {
    await expect(verifyPassword('x', 'plain-text')).rejects.toMatchObject({
      code: 'invalid-password-hash',
    });
    await expect(
      verifyPassword(
        'x',
        '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      ),
    ).rejects.toMatchObject({ code: 'invalid-password-hash' });
    await expect(hashPassword('x', { ln: 4 })).rejects.toBeInstanceOf(AuthError);
  });
});

describe('BasicAuthProvider', () => {
  const users = async () => [
    {
      username: 'alice',
      passwordHash: await hashPassword('wonderland', fast),
      scopes: ['mcp'],
      roles: ['ops'],
    },
    {
      username: 'bob',
      passwordHash: await hashPassword('builder', fast),
      userId: 'u-bob',
      active: false,
    },
  ];

  it('authenticates from the Authorization header', async () => {
    const p = new BasicAuthProvider({ users: await users() });
    expect(await p.authenticate(extractCredentials(header('alice', 'wonderland')))).toMatchObject({
      status: 'success',
      userId: 'alice',
      permissions: ['mcp'],
      roles: ['ops'],
      source: { provider: 'basic', method: 'basic-auth' },
    });
  });

  it('gives the same answer for a wrong password and an unknown user', async () => {
    const p = new BasicAuthProvider({ users: await users() });
    const wrong = await p.authenticate(extractCredentials(header('alice', 'nope')));
    const unknown = await p.authenticate(extractCredentials(header('mallory', 'wonderland')));
    for (const r of [wrong, unknown]) {
      expect(r).toMatchObject({
        status: 'invalid-credentials',
        error: 'invalid-username-or-password',
        message: 'Username or password is wrong',
      });
    }
  });

  it('refuses a deactivated user only after the password is right', async () => {
    const p = new BasicAuthProvider({ users: await users() });
    expect((await p.authenticate(extractCredentials(header('bob', 'wrong')))).error).toBe(
      'invalid-username-or-password',
    );
    expect((await p.authenticate(extractCredentials(header('bob', 'builder')))).error).toBe(
      'user-inactive',
    );
  });

  it('refuses an oversized password without hashing it', async () => {
    const p = new BasicAuthProvider({ users: await users(), maxPasswordLength: 64 });
    expect((await p.authenticate(extractCredentials(header('alice', 'x'.repeat(65))))).error).toBe(
      'credential-too-large',
    );
  });

  it('stands aside without Basic credentials', async () => {
    const p = new BasicAuthProvider({ users: [] });
    expect((await p.authenticate(extractCredentials({ headers: {} }))).error).toBe(
      'no-credentials',
    );
  });

  it('refuses a configuration with a plain-text password or a duplicate user', async () => {
    expect(
      () => new BasicAuthProvider({ users: [{ username: 'a', passwordHash: 'secret' }] }),
    ).toThrow(
      expect.objectContaining({ code: 'invalid-config', pointer: '/users/0/passwordHash' }),
    );
    const hash = await hashPassword('x', fast);
    expect(
      () =>
        new BasicAuthProvider({
          users: [
            { username: 'a', passwordHash: hash },
            { username: 'a', passwordHash: hash },
          ],
        }),
    ).toThrow(expect.objectContaining({ code: 'invalid-config', pointer: '/users/1/username' }));
  });
});
