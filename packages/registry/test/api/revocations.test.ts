import { TrustStore, verifyRevocationList, type RevocationList } from '@etdi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../support/expect-problem.js';
import { signed, type ProviderKey } from '../support/keys.js';
import { REGISTRY_ID, testRegistry, type TestRegistry } from '../support/test-registry.js';

let r: TestRegistry;
let acme: { pk: ProviderKey; apiKey: string };
let evil: { pk: ProviderKey; apiKey: string };
let trust: TrustStore;
const digs: Record<string, string> = {};

beforeAll(async () => {
  r = await testRegistry();
  acme = await r.provider('com.acme');
  evil = await r.provider('org.evil');
  const doc = (await r.request('GET', '/.well-known/etdi-registry')).json() as { keys: unknown };
  trust = await TrustStore.fromJwks(doc.keys);
  const res = await r.request('POST', '/v1/tools', {
    key: acme.apiKey,
    body: {
      tools: [
        await signed(acme.pk, 'read_file', { ver: '1.0.0' }),
        await signed(acme.pk, 'read_file', { ver: '1.1.0', description: 'v1.1' }),
        await signed(acme.pk, 'old_tool'),
        await signed(acme.pk, 'by_digest'),
      ],
    },
  });
  for (const t of (res.json() as { tools: { name: string; ver: string; dig: string }[] }).tools) {
    digs[`${t.name}@${t.ver}`] = t.dig;
  }
});
afterAll(async () => {
  await r.close();
});

async function currentList(current?: RevocationList): Promise<RevocationList> {
  const res = await r.request('GET', '/v1/revocations');
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/jwt');
  return verifyRevocationList(res.body, {
    trust,
    issuer: REGISTRY_ID,
    now: r.clock.ms,
    ...(current ? { current } : {}),
  });
}

const revoke = (body: unknown, key = acme.apiKey) =>
  r.request('POST', '/v1/revocations', { key, body });

describe('GET /v1/revocations', () => {
  it('is a list signed by the registry key, expiring one hour after it was issued', async () => {
    const list = await currentList();
    expect(list.issuer).toBe(REGISTRY_ID);
    expect(list.expiresAt - list.issuedAt).toBe(3600);
    expect(list.seq).toBe(0);
  });

  it('is re-signed before it expires, keeping its seq', async () => {
    const first = await currentList();
    // The clock only moves forward: later tests run half an hour on.
    r.clock.ms += 31 * 60_000;
    const next = await currentList(first);
    expect(next.seq).toBe(first.seq);
    expect(next.issuedAt).toBeGreaterThan(first.issuedAt);
    expect(next.expiresAt - Math.floor(r.clock.ms / 1000)).toBeGreaterThan(1800);
  });
});

describe('POST /v1/revocations', () => {
  it('revokes one version: 201, the list holds it with a higher seq, and the version shows yanked', async () => {
    const before = await currentList();
    const res = await revoke({ iss: 'com.acme', sub: 'read_file', ver: '1.1.0', reason: 'broken' });
    expect(res.statusCode).toBe(201);
    const { seq, entry } = res.json() as { seq: number; entry: Record<string, string> };
    expect(entry).toMatchObject({
      iss: 'com.acme',
      sub: 'read_file',
      ver: '1.1.0',
      reason: 'broken',
    });
    const after = await currentList(before);
    expect(after.seq).toBe(seq);
    expect(after.seq).toBeGreaterThan(before.seq);
    expect(after.entries).toContainEqual(entry);
    const versions = (await r.request('GET', '/v1/tools/com.acme/read_file')).json() as {
      latest: string;
      versions: { ver: string; status: string }[];
    };
    expect(versions.latest).toBe('1.0.0');
    expect(versions.versions).toContainEqual(
      expect.objectContaining({ ver: '1.1.0', status: 'yanked' }),
    );
    // Yanked stays fetchable for audit.
    expect((await r.request('GET', '/v1/tools/com.acme/read_file/1.1.0')).statusCode).toBe(200);
  });

  it('answers the same revocation again with 200 and the same seq', async () => {
    const body = { iss: 'com.acme', sub: 'read_file', ver: '1.1.0' };
    const seq = (await currentList()).seq;
    const res = await revoke(body);
    expect(res.statusCode).toBe(200);
    expect((res.json() as { seq: number }).seq).toBe(seq);
  });

  it('revokes a digest and a key', async () => {
    expect((await revoke({ dig: digs['by_digest@1.0.0'] })).statusCode).toBe(201);
    const { pk, apiKey } = await r.provider('io.leaked');
    const res = await revoke({ kid: pk.kid, reason: 'leaked' }, apiKey);
    expect(res.statusCode).toBe(201);
    const jwks = (await r.request('GET', '/v1/providers/io.leaked/jwks.json')).json() as {
      keys: { status: string }[];
    };
    expect(jwks.keys[0]!.status).toBe('revoked');
    expect((await currentList()).entries).toContainEqual(expect.objectContaining({ kid: pk.kid }));
  });

  describe('ownership', () => {
    it("a publisher cannot revoke another provider's tool, key or content: 403 not-owner", async () => {
      expectProblem(
        await revoke({ iss: 'com.acme', sub: 'old_tool' }, evil.apiKey),
        403,
        'not-owner',
      );
      expectProblem(await revoke({ kid: acme.pk.kid }, evil.apiKey), 403, 'not-owner');
      expectProblem(await revoke({ dig: digs['old_tool@1.0.0'] }, evil.apiKey), 403, 'not-owner');
    });

    it('a publisher cannot revoke what the registry does not hold: 404', async () => {
      expectProblem(await revoke({ kid: 'unknown-kid' }, evil.apiKey), 404, 'not-found');
      expectProblem(await revoke({ dig: 'Z'.repeat(43) }, evil.apiKey), 404, 'not-found');
    });

    it('an admin may revoke anything, even a key not registered yet', async () => {
      expect((await revoke({ kid: 'leaked-elsewhere' }, r.adminKey)).statusCode).toBe(201);
      expect((await revoke({ iss: 'com.acme', sub: 'old_tool' }, r.adminKey)).statusCode).toBe(201);
    });
  });

  it.each([
    [{}, ''],
    [{ kid: 'k', dig: 'A'.repeat(43) }, ''],
    [{ iss: 'com.acme' }, '/sub'],
    [{ sub: 'read_file' }, '/iss'],
    [{ kid: 'k', note: 'x' }, '/note'],
  ])('refuses %j: 400 naming %j', async (body, pointer) => {
    expect(expectProblem(await revoke(body), 400, 'invalid-request').pointer).toBe(pointer);
  });
});

describe('PATCH /v1/tools/{iss}/{name}/{ver}', () => {
  it('deprecates and restores a version', async () => {
    const patch = (status: string) =>
      r.request('PATCH', '/v1/tools/com.acme/read_file/1.0.0', {
        key: acme.apiKey,
        body: { status },
      });
    expect((await patch('deprecated')).json()).toMatchObject({ status: 'deprecated' });
    const listed = (await r.request('GET', '/v1/tools/com.acme/read_file')).json() as {
      versions: { ver: string; status: string }[];
    };
    expect(listed.versions).toContainEqual(
      expect.objectContaining({ ver: '1.0.0', status: 'deprecated' }),
    );
    expect((await patch('active')).json()).toMatchObject({ status: 'active' });
  });

  it('yanks a version onto the revocation list; a yanked version stays yanked: 409 version-yanked', async () => {
    const url = '/v1/tools/com.acme/by_digest/1.0.0';
    const yank = await r.request('PATCH', url, {
      key: acme.apiKey,
      body: { status: 'yanked', reason: 'x' },
    });
    expect(yank.json()).toMatchObject({ status: 'yanked' });
    const back = await r.request('PATCH', url, { key: acme.apiKey, body: { status: 'active' } });
    expectProblem(back, 409, 'version-yanked');
  });

  it("refuses another provider's version: 403; an unknown one: 404", async () => {
    const url = '/v1/tools/com.acme/read_file/1.0.0';
    expectProblem(
      await r.request('PATCH', url, { key: evil.apiKey, body: { status: 'deprecated' } }),
      403,
      'not-owner',
    );
    expectProblem(
      await r.request('PATCH', '/v1/tools/com.acme/read_file/7.0.0', {
        key: acme.apiKey,
        body: { status: 'deprecated' },
      }),
      404,
      'not-found',
    );
  });
});
