import { describe, expect, it } from 'vitest';
import { createToolGuard } from '../../src/guard/create-tool-guard.js';
import { provider, trustJwks } from './support/fixtures.js';
import { guardWith } from './support/guard.js';

const upstreams = { files: { providers: ['com.acme'] } };

describe('createToolGuard configuration', () => {
  it.each([
    [{ trust: { jwks: 'keys.json' }, upstreams }, '/trust/jwks'],
    [{ trust: { jwks: ['k.json'], maxAge: '90 days' }, upstreams }, '/trust/maxAge'],
    [{ trust: { jwks: ['k.json'], extra: 1 }, upstreams }, '/trust/extra'],
    [{ trust: { registry: { url: 'http://10.0.0.1:4000' } }, upstreams }, '/trust/registry/url'],
    [{ trust: { registry: {} }, upstreams }, '/trust/registry/url'],
    [{ trust: {}, upstreams }, '/trust'],
    [{ trust: { jwks: ['k.json'] }, pins: { store: 'disk' }, upstreams }, '/pins/store'],
    [{ trust: { jwks: ['k.json'] }, pins: { firstUse: 'never' }, upstreams }, '/pins/firstUse'],
    [
      { trust: { jwks: ['k.json'] }, upstreams: { files: { mode: 'warn', providers: [] } } },
      '/upstreams/files/mode',
    ],
    [{ trust: { jwks: ['k.json'] }, upstreams: { files: {} } }, '/upstreams/files/providers'],
    [
      { trust: { jwks: ['k.json'] }, upstreams: { 'a/b': { providers: ['bad id'] } } },
      '/upstreams/a~1b/providers/0',
    ],
  ])('refuses %j naming %s', async (config, pointer) => {
    await expect(createToolGuard(config as never, { watchFiles: false })).rejects.toMatchObject({
      name: 'GatewayError',
      code: 'invalid-config',
      pointer,
    });
  });

  it('names the file member that cannot be used (missing, not JSON, not a JWKS, repeated members)', async () => {
    const acme = await provider('com.acme');
    const files = {
      'good.json': await trustJwks(acme),
      'notjwks.json': { keys: [{ kty: 'OKP', crv: 'Ed25519' }] },
    };
    for (const [jwks, pointer] of [
      [['good.json', 'missing.json'], '/trust/jwks/1'],
      [['notjwks.json'], '/trust/jwks/0'],
    ] as const) {
      await expect(guardWith({ files, trust: { jwks: [...jwks] } })).rejects.toMatchObject({
        code: 'trust-unavailable',
        pointer,
      });
    }
    const { writeFile } = await import('node:fs/promises');
    const g = await guardWith({ files, trust: { jwks: ['good.json'] } });
    try {
      await writeFile(`${g.dir}/dup.json`, '{"keys":[],"keys":[]}');
      await expect(
        createToolGuard(
          { trust: { jwks: ['dup.json'] }, upstreams },
          { baseDir: g.dir, watchFiles: false },
        ),
      ).rejects.toMatchObject({ code: 'trust-unavailable', pointer: '/trust/jwks/0' });
    } finally {
      await g.cleanup();
    }
  });
});
