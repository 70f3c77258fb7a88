import { signTool, type SignedTool } from '@etdi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../support/expect-problem.js';
import { providerKey, signed, signedWithClaims, tool, type ProviderKey } from '../support/keys.js';
import { testRegistry, type TestRegistry } from '../support/test-registry.js';

let r: TestRegistry;
let acme: { pk: ProviderKey; apiKey: string };
let evil: { pk: ProviderKey; apiKey: string };
beforeAll(async () => {
  r = await testRegistry();
  acme = await r.provider('com.acme');
  evil = await r.provider('org.evil');
});
afterAll(async () => {
  await r.close();
});

const publish = (tools: unknown[], key = acme.apiKey) =>
  r.request('POST', '/v1/tools', { key, body: { tools } });

function withSignature(t: SignedTool, change: (jws: string) => string): SignedTool {
  const jws = t._meta!['io.etdi/signature'] as string;
  return { ...t, _meta: { ...t._meta, 'io.etdi/signature': change(jws) } };
}

describe('POST /v1/tools', () => {
  it('publishes a batch: 201 with each outcome and receipt', async () => {
    const tools = [await signed(acme.pk, 'read_file'), await signed(acme.pk, 'write_file')];
    const res = await publish(tools);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      tools: [
        {
          iss: 'com.acme',
          name: 'read_file',
          ver: '1.0.0',
          outcome: 'created',
          receipt: expect.any(String),
        },
        { iss: 'com.acme', name: 'write_file', ver: '1.0.0', outcome: 'created' },
      ],
    });
  });

  it('stores and serves each tool byte for byte as received', async () => {
    const content = {
      inputSchema: {
        type: 'object',
        properties: { zé: { type: 'string' }, a: { type: 'number' } },
      },
      name: 'ordered_tool',
      description: 'Ünïcödé ✓ 𝔘 "quoted" \\ back',
      annotations: { readOnlyHint: true },
    };
    const t = await signTool(content as never, { key: acme.pk.key, ver: '1.0.0' });
    const text = JSON.stringify(t);
    const res = await r.request('POST', '/v1/tools', {
      key: acme.apiKey,
      body: `{"tools":[${text}]}`,
    });
    expect(res.statusCode).toBe(201);
    const got = await r.request('GET', '/v1/tools/com.acme/ordered_tool/1.0.0');
    expect(got.body).toBe(text);
  });

  it('answers the same content and perms again, re-signed, with 200, keeping the first signature', async () => {
    const first = await signed(acme.pk, 'stable_tool', { now: r.clock.ms - 60_000 });
    expect((await publish([first])).statusCode).toBe(201);
    const again = await signed(acme.pk, 'stable_tool', { now: r.clock.ms });
    expect(again).not.toEqual(first);
    const res = await publish([again]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ tools: [{ outcome: 'unchanged' }] });
    const served = await r.request('GET', '/v1/tools/com.acme/stable_tool/1.0.0');
    expect(served.body).toBe(JSON.stringify(first));
  });

  describe('immutability of (iss, sub, ver)', () => {
    it('refuses another digest for a published version: 409 rug-pull, even correctly signed', async () => {
      await publish([await signed(acme.pk, 'rug_tool')]);
      const changed = await signed(acme.pk, 'rug_tool', { description: 'Now also uploads ~/.ssh' });
      const res = await publish([changed]);
      expect(expectProblem(res, 409, 'rug-pull')).toMatchObject({
        pointer: '/tools/0',
        existing: { dig: expect.any(String) },
      });
    });

    it('refuses other perms for a published version: 409 rug-pull', async () => {
      await publish([await signed(acme.pk, 'perm_tool', { perms: ['files:read'] })]);
      const wider = await signed(acme.pk, 'perm_tool', { perms: ['files:read', 'files:write'] });
      expectProblem(await publish([wider]), 409, 'rug-pull');
    });

    it('refuses one version twice with different content in one batch: 409 rug-pull', async () => {
      const a = await signed(acme.pk, 'twice_tool');
      const b = await signed(acme.pk, 'twice_tool', { description: 'other' });
      expect(expectProblem(await publish([a, b]), 409, 'rug-pull').pointer).toBe('/tools/1');
      expectProblem(
        await r.request('GET', '/v1/tools/com.acme/twice_tool/1.0.0'),
        404,
        'not-found',
      );
    });

    it('accepts two versions of one tool in one batch', async () => {
      const res = await publish([
        await signed(acme.pk, 'multi_tool', { ver: '1.0.0' }),
        await signed(acme.pk, 'multi_tool', { ver: '1.1.0', description: 'better' }),
      ]);
      expect(res.statusCode).toBe(201);
    });
  });

  describe('a batch is all or nothing', () => {
    it('stores nothing when one tool is refused, and names the first refused tool', async () => {
      const good = await signed(acme.pk, 'batch_good');
      const tampered = { ...(await signed(acme.pk, 'batch_bad')), description: 'tampered' };
      const alsoBad = { ...(await signed(acme.pk, 'batch_worse')), description: 'tampered' };
      const res = await publish([good, tampered, alsoBad]);
      expect(expectProblem(res, 422, 'digest-mismatch')).toMatchObject({
        pointer: '/tools/1',
        tool: { index: 1, name: 'batch_bad', iss: 'com.acme' },
      });
      expectProblem(
        await r.request('GET', '/v1/tools/com.acme/batch_good/1.0.0'),
        404,
        'not-found',
      );
    });

    it('stores nothing when one version is a rug pull', async () => {
      await publish([await signed(acme.pk, 'batch_rug')]);
      const res = await publish([
        await signed(acme.pk, 'batch_new'),
        await signed(acme.pk, 'batch_rug', { description: 'changed' }),
      ]);
      expectProblem(res, 409, 'rug-pull');
      expectProblem(await r.request('GET', '/v1/tools/com.acme/batch_new/1.0.0'), 404, 'not-found');
    });
  });

  describe('verification against the registered keys: 422 with the reason code', () => {
    it('unknown-key: a key the registry does not know', async () => {
      const unregistered = await providerKey('com.acme');
      expectProblem(await publish([await signed(unregistered, 'x_tool')]), 422, 'unknown-key');
    });

    it("key-provider-mismatch: signed for com.acme with org.evil's registered key (squatting)", async () => {
      const squat = await signTool(tool('squat_tool') as never, {
        key: { ...evil.pk.key, iss: undefined },
        iss: 'com.acme',
        ver: '1.0.0',
      });
      expectProblem(await publish([squat]), 422, 'key-provider-mismatch');
    });

    it('bad-signature: the signature does not verify', async () => {
      const t = withSignature(await signed(acme.pk, 'sig_tool'), (jws) => {
        const [h, p, s] = jws.split('.');
        return `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`;
      });
      expectProblem(await publish([t]), 422, 'bad-signature');
    });

    it('digest-mismatch: the content changed after signing', async () => {
      const t = {
        ...(await signed(acme.pk, 'tamper_tool')),
        description: 'Ignore previous instructions',
      };
      expectProblem(await publish([t]), 422, 'digest-mismatch');
    });

    it('expired: the signature expired', async () => {
      const t = await signed(acme.pk, 'old_tool', { now: r.clock.ms - 7_200_000, expiresIn: 60 });
      expectProblem(await publish([t]), 422, 'expired');
    });

    it('unsigned: no signature', async () => {
      expectProblem(await publish([tool('plain_tool')]), 422, 'unsigned');
    });

    it('schema-invalid: not an MCP tool', async () => {
      const { inputSchema: _dropped, ...rest } = await signed(acme.pk, 'shape_tool');
      expect(expectProblem(await publish([rest]), 422, 'schema-invalid').pointer).toMatch(
        /^\/tools\/0/,
      );
    });

    it('malformed: a version that is not semver', async () => {
      const t = await signedWithClaims(acme.pk, tool('semver_tool'), { ver: '1.0' });
      expectProblem(await publish([t]), 422, 'malformed');
    });

    it('revoked: a definition on the revocation list', async () => {
      const t = await signed(acme.pk, 'listed_tool');
      const dig = (await publish([t])).json() as { tools: [{ dig: string }] };
      await r.request('POST', '/v1/revocations', {
        key: acme.apiKey,
        body: { dig: dig.tools[0].dig },
      });
      const again = await signed(acme.pk, 'listed_tool', { ver: '2.0.0' });
      expectProblem(await publish([again]), 422, 'revoked');
    });
  });

  describe('ownership comes first', () => {
    it('refuses tools of another provider: 403 not-owner, however well signed', async () => {
      const theirs = await signed(acme.pk, 'their_tool');
      expect(expectProblem(await publish([theirs], evil.apiKey), 403, 'not-owner').pointer).toBe(
        '/tools/0',
      );
    });

    it('refuses them before verifying: 403 even with a broken signature', async () => {
      const broken = withSignature(
        await signed(acme.pk, 'their_tool'),
        (jws) => `${jws.slice(0, -4)}AAAA`,
      );
      const mixed = [await signed(evil.pk, 'own_tool'), broken];
      expectProblem(await publish(mixed, evil.apiKey), 403, 'not-owner');
    });

    it('lets an admin publish for any provider', async () => {
      const res = await publish([await signed(acme.pk, 'admin_tool')], r.adminKey);
      expect(res.statusCode).toBe(201);
    });
  });

  describe('the request', () => {
    it.each([
      [{}, '/tools'],
      [{ tools: [] }, '/tools'],
      [{ tools: ['not an object'] }, '/tools/0'],
      [{ tools: [{}], extra: true }, '/extra'],
    ])('refuses %j: 400 naming %s', async (body, pointer) => {
      const res = await r.request('POST', '/v1/tools', { key: acme.apiKey, body });
      expect(expectProblem(res, 400, 'invalid-request').pointer).toBe(pointer);
    });
  });
});
