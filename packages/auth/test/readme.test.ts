import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ApiKeyProvider,
  buildAuthenticator,
  parseAuthConfig,
  validateAuthConfig,
  verifyPassword,
} from '@etdi/auth';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The configuration examples of the README, marked `<!-- readme-config: json|yaml -->`. */
function examples(): { format: 'json' | 'yaml'; text: string }[] {
  const found = [
    ...readme.matchAll(/<!-- readme-config: (json|yaml) -->\s*```(?:json|yaml)\n([\s\S]*?)```/g),
  ];
  return found.map((m) => ({ format: m[1] as 'json' | 'yaml', text: m[2]! }));
}

describe('README', () => {
  const env = { ETDI_API_KEY_PEPPER: 'pepper', INTROSPECTION_CLIENT_SECRET: 'secret' };

  it('has JSON and YAML configuration examples', () => {
    expect(new Set(examples().map((e) => e.format))).toEqual(new Set(['json', 'yaml']));
  });

  it('shows configuration examples that validate', () => {
    for (const example of examples()) {
      expect(
        () => parseAuthConfig(example.text, example.format, { env }),
        example.format,
      ).not.toThrow();
    }
  });

  it('shows a JSON example that builds, with a real password hash', async () => {
    const json = examples().find((e) => e.format === 'json')!;
    const config = parseAuthConfig(json.text, 'json', { env });
    const auth = await buildAuthenticator(config, { env });
    expect(auth.registry.names()).toEqual(['jwt', 'oauth', 'basic']);
    const hash = (config.providers.basic as unknown as { users: { passwordHash: string }[] })
      .users[0]!.passwordHash;
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    const result = await auth.authenticateRequest({
      headers: {
        authorization: `Basic ${Buffer.from('ops:correct horse battery staple').toString('base64')}`,
      },
    });
    expect(result).toMatchObject({ status: 'success', userId: 'ops', permissions: ['admin'] });
    await auth.close();
  });
});

describe('README: gateway keys', () => {
  const example = examples().find((e) => e.text.includes('credentialField: gatewayKey'))!;

  it('reads a key sent as X-Gateway-Key, as the example says', async () => {
    const auth = await buildAuthenticator(parseAuthConfig(example.text, example.format));
    const gateway = auth.registry.require('gateway') as ApiKeyProvider;
    const key = (await gateway.issueKey({ userId: 'partner' })).reveal();
    expect(await auth.authenticateRequest({ headers: { 'x-gateway-key': key } })).toMatchObject({
      status: 'success',
      userId: 'partner',
    });
    await auth.close();
  });

  it('does not start without the header the key is read from', () => {
    const config = parseAuthConfig(example.text, example.format) as { extraction?: unknown };
    delete config.extraction;
    expect(() => validateAuthConfig(config)).toThrow(
      expect.objectContaining({
        code: 'invalid-config',
        pointer: '/providers/gateway/credentialField',
      }),
    );
  });
});
