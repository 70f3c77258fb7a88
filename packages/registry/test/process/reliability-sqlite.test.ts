import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, rawRequest, setupProvider } from '../support/http-client.js';
import { signed, type ProviderKey } from '../support/keys.js';
import {
  registryFiles,
  startRegistryProcess,
  type RegistryProcess,
} from '../support/registry-process.js';
import { raceOneVersion } from '../support/race.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const files = registryFiles();
let keyFile: string;
let proc: RegistryProcess;
let acme: { pk: ProviderKey; apiKey: string };
let other: { pk: ProviderKey; apiKey: string };

const args = (db: string) => ['--db', join(files.dir, db), '--key', keyFile, '--id', files.id];
const env = () => ({ ETDI_REGISTRY_ADMIN_KEY: files.adminKey });

beforeAll(async () => {
  keyFile = await files.keyFile();
  proc = await startRegistryProcess(args('main.db'), { env: env() });
  acme = await setupProvider(proc.url, files.adminKey, 'com.acme');
  other = await setupProvider(proc.url, files.adminKey, 'org.other');
});
afterAll(async () => {
  await proc?.stop();
  files.remove();
});

describe('SQLite registry process, over real sockets', () => {
  it('50 concurrent publishes of one version with two digests: exactly one digest is stored', async () => {
    await raceOneVersion([proc.url], acme, 'raced_tool');
  });

  it('kill -9 during a publishing load: every acknowledged publish is there after a restart, byte for byte', async () => {
    const victim = await startRegistryProcess(args('kill.db'), { env: env() });
    let restarted: RegistryProcess | undefined;
    try {
      const { pk, apiKey } = await setupProvider(victim.url, files.adminKey, 'com.acme');
      const batches = await Promise.all(
        Array.from({ length: 120 }, async (_, i) =>
          Promise.all(Array.from({ length: 1 + (i % 3) }, (_, j) => signed(pk, `load_${i}_${j}`))),
        ),
      );
      const acked: { name: string; text: string }[] = [];
      let next = 0;
      let killed: Promise<void> | undefined;
      const worker = async () => {
        while (next < batches.length && !killed) {
          const batch = batches[next++]!;
          try {
            const res = await call(victim.url, 'POST', '/v1/tools', {
              key: apiKey,
              body: { tools: batch },
            });
            if (res.status === 201 || res.status === 200) {
              for (const t of batch) acked.push({ name: t.name, text: JSON.stringify(t) });
            }
          } catch {
            // The connection died with the process: not acknowledged.
          }
          if (acked.length >= 60) killed ??= victim.kill9();
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      await killed;
      expect(victim.child.signalCode).toBe('SIGKILL');
      expect(acked.length).toBeGreaterThanOrEqual(60);
      restarted = await startRegistryProcess(args('kill.db'), { env: env() });
      expect((await call(restarted.url, 'GET', '/readyz')).status).toBe(200);
      for (const { name, text } of acked) {
        const res = await call(restarted.url, 'GET', `/v1/tools/com.acme/${name}/1.0.0`);
        expect({ name, status: res.status, same: res.body === text }).toEqual({
          name,
          status: 200,
          same: true,
        });
      }
    } finally {
      await victim.kill9();
      await restarted?.stop();
    }
  });

  describe('authorization', () => {
    it('a publisher of one provider cannot publish, add keys or revoke for another: 403', async () => {
      const theirs = await signed(acme.pk, 'their_tool');
      const publish = await call(proc.url, 'POST', '/v1/tools', {
        key: other.apiKey,
        body: { tools: [theirs] },
      });
      expect([publish.status, publish.json().code]).toEqual([403, 'not-owner']);
      const keys = await call(proc.url, 'POST', '/v1/providers/com.acme/keys', {
        key: other.apiKey,
        body: other.pk.jwks,
      });
      expect([keys.status, keys.json().code]).toEqual([403, 'not-owner']);
      const revoke = await call(proc.url, 'POST', '/v1/revocations', {
        key: other.apiKey,
        body: { kid: acme.pk.kid },
      });
      expect([revoke.status, revoke.json().code]).toEqual([403, 'not-owner']);
    });

    it('a revoked or expired API key gets 401', async () => {
      const issue = (body: unknown) =>
        call(proc.url, 'POST', '/v1/providers/com.acme/api-keys', { key: files.adminKey, body });
      const revoked = (await issue({})).json<{ apiKey: string; keyId: string }>();
      await call(proc.url, 'DELETE', `/v1/providers/com.acme/api-keys/${revoked.keyId}`, {
        key: files.adminKey,
      });
      const tools = { tools: [await signed(acme.pk, 'key_tool')] };
      const a = await call(proc.url, 'POST', '/v1/tools', { key: revoked.apiKey, body: tools });
      expect([a.status, a.json().code]).toEqual([401, 'key-inactive']);
      const expiresAt = Date.now() + 1500;
      const expiring = (await issue({ expiresAt: new Date(expiresAt).toISOString() })).json<{
        apiKey: string;
      }>();
      // The process keeps real time: wait until the key's expiry has passed.
      while (Date.now() <= expiresAt + 50)
        await new Promise((r) => setTimeout(r, expiresAt + 60 - Date.now()));
      const b = await call(proc.url, 'POST', '/v1/tools', { key: expiring.apiKey, body: tools });
      expect([b.status, b.json().code]).toEqual([401, 'key-expired']);
    });
  });

  describe('garbage never makes a 500', () => {
    const http = (head: string, body = '') =>
      `${head}\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${files.adminKey}\r\nConnection: close\r\n` +
      (body
        ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
        : '') +
      `\r\n${body}`;
    const cases: [string, () => string | Buffer][] = [
      ['not HTTP at all', () => 'GARBAGE\r\n\r\n'],
      ['binary noise', () => Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 97) % 256))],
      ['a header line without a colon', () => 'GET /v1/tools HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n'],
      [
        'a 64 KiB header',
        () => `GET /v1/tools HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(65_536)}\r\n\r\n`,
      ],
      [
        'path traversal, not normalized',
        () => http('GET /v1/tools/com.acme/../../../etc/passwd HTTP/1.1'),
      ],
      [
        'encoded traversal',
        () => http('GET /v1/tools/com.acme/..%2F..%2Fetc%2Fpasswd/1.0.0 HTTP/1.1'),
      ],
      [
        'duplicate members',
        () => http('POST /v1/tools HTTP/1.1', '{"tools":[{"name":"a"}],"tools":[]}'),
      ],
      [
        'deep JSON',
        () => http('POST /v1/tools HTTP/1.1', `{"tools":[${'['.repeat(5000)}${']'.repeat(5000)}]}`),
      ],
      [
        'a body over 1 MiB',
        () => http('POST /v1/tools HTTP/1.1', `{"tools":[{"name":"${'x'.repeat(1_100_000)}"}]}`),
      ],
      ['unknown fields', () => http('POST /v1/providers HTTP/1.1', '{"iss":"org.x","admin":true}')],
      [
        'a look-alike provider id',
        () => http('POST /v1/providers HTTP/1.1', '{"iss":"com.acrne"}'),
      ],
      [
        'a Unicode look-alike',
        () => http('POST /v1/providers HTTP/1.1', '{"iss":"com.\\u0430cme"}'),
      ],
      [
        'an invalid UTF-8 body',
        () =>
          Buffer.concat([
            Buffer.from(http('POST /v1/providers HTTP/1.1', '{"iss":"xx"}').slice(0, -4)),
            Buffer.from([0xff, 0xfe, 0x22, 0x7d]),
          ]),
      ],
    ];
    it.each(cases)('%s: a 4xx problem', async (_name, bytes) => {
      const answer = await rawRequest(proc.url, bytes());
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(answer.toLowerCase()).toContain('content-type: application/problem+json');
      expect(answer).toMatch(/"code":"[a-z-]+"/);
    });

    it('the registry is still ready afterwards', async () => {
      expect((await call(proc.url, 'GET', '/readyz')).status).toBe(200);
    });
  });
});
