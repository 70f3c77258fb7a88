import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { pinStoreContract } from '@etdi/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService, service, uniquePrefix } from '../../../../testing/services.js';
import { RedisPinStore } from '../../src/pins/redis-pin-store.js';
import {
  listResponse,
  provider,
  sign,
  tool,
  toolsOf,
  trustJwks,
  writeJson,
  type Provider,
} from './support/fixtures.js';
import { ctx, guardWith, type GuardSetup } from './support/guard.js';

const redisInfo = await service('redis');
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const child = fileURLToPath(new URL('./support/child-guard.ts', import.meta.url));

async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  const match = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

describeWithService(redisInfo, 'RedisPinStore', () => {
  const runPrefix = uniquePrefix('gw-pins');
  let redis: Redis;
  let peer: Redis;
  let current = runPrefix;
  let n = 0;

  beforeAll(() => {
    redis = new Redis(redisInfo.url);
    peer = new Redis(redisInfo.url);
  });
  afterAll(async () => {
    await deleteByPrefix(redis, runPrefix);
    await Promise.all([redis.quit(), peer.quit()]);
  });

  pinStoreContract('RedisPinStore', {
    create: () => {
      current = `${runPrefix}${n++}:`;
      return new RedisPinStore({ redis, prefix: current });
    },
    // Another node: its own connection, the same keys.
    createPeer: () => new RedisPinStore({ redis: peer, prefix: current }),
  });

  it('refuses a record that is not a pin, naming the key, instead of guessing', async () => {
    const prefix = `${runPrefix}corrupt:`;
    const store = new RedisPinStore({ redis, prefix });
    await redis.set(`${prefix}pin:["com.acme","t"]`, '{"iss":"com.acme","sub":"t"}');
    await expect(store.get('com.acme', 't')).rejects.toMatchObject({
      name: 'GatewayError',
      code: 'store-error',
    });
  });
});

describeWithService(redisInfo, 'guards sharing pins on Redis', () => {
  const prefix = uniquePrefix('gw-shared');
  const guards: GuardSetup[] = [];
  let redis: Redis;
  let a: GuardSetup;
  let b: GuardSetup;
  let acmeProvider: Provider;
  const acme = () => acmeProvider;

  beforeAll(async () => {
    redis = new Redis(redisInfo.url);
    acmeProvider = await provider('com.acme');
    const jwks = await trustJwks(acmeProvider);
    for (let i = 0; i < 2; i++) {
      guards.push(
        await guardWith({
          jwks,
          pins: { store: 'redis', redis: { url: redisInfo.url, prefix }, firstUse: 'approve' },
        }),
      );
    }
    [a, b] = guards as [GuardSetup, GuardSetup];
  });
  afterAll(async () => {
    for (const g of guards) await g.cleanup();
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  });

  it('agree: what one node approved, the other enforces (rug pull, rollback)', async () => {
    const v1 = await sign(tool('shared'), acme(), { perms: ['files:read'] });
    expect((await a.guard.rewriteToolsList(ctx, listResponse([v1]), undefined)).verified).toBe(1);
    const pulled = await sign(tool('shared', 'now also deletes'), acme(), {
      perms: ['files:read'],
    });
    await b.guard.rewriteToolsList(ctx, listResponse([pulled]), undefined);
    expect(b.logger.audit().at(-1)).toMatchObject({ tool: 'shared', reason: 'rug-pull' });

    // B takes an upgrade; A's cached page of v1 is re-checked against the pin: a rollback now.
    expect((await a.guard.rewriteToolsList(ctx, listResponse([v1], 2), undefined)).cached).toBe(
      true,
    );
    const v2 = await sign(tool('shared', 'v2'), acme(), { ver: '2.0.0', perms: ['files:read'] });
    expect((await b.guard.rewriteToolsList(ctx, listResponse([v2]), undefined)).verified).toBe(1);
    const again = await a.guard.rewriteToolsList(ctx, listResponse([v1], 3), undefined);
    expect(again).toMatchObject({ cached: false, verified: 0 });
    expect(a.logger.audit().at(-1)).toMatchObject({ tool: 'shared', reason: 'rollback' });
  });

  it('agree on approvals: approved on one node, shown by the other', async () => {
    const v1 = await sign(tool('grow'), acme(), { perms: ['a'] });
    await a.guard.rewriteToolsList(ctx, listResponse([v1]), undefined);
    const v2 = await sign(tool('grow', 'v2'), acme(), { ver: '1.1.0', perms: ['a', 'b'] });
    expect((await a.guard.rewriteToolsList(ctx, listResponse([v2]), undefined)).verified).toBe(0);
    expect((await b.guard.rewriteToolsList(ctx, listResponse([v2]), undefined)).verified).toBe(0);
    await a.guard.approve({ upstream: 'files', iss: 'com.acme', name: 'grow', ver: '1.1.0' });
    expect(
      toolsOf((await b.guard.rewriteToolsList(ctx, listResponse([v2], 2), undefined)).text),
    ).toEqual([v2]);
  });

  it('agree under a race: many first uses of one tool on two nodes, one pin', async () => {
    const variants = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sign(tool('raced', `variant ${i}`), acme())),
    );
    const outs = await Promise.all(
      variants.map((v, i) =>
        (i % 2 ? a : b).guard.rewriteToolsList(ctx, listResponse([v], i), undefined),
      ),
    );
    expect(outs.filter((o) => o.verified === 1)).toHaveLength(1);
  });

  it('a node killed (SIGKILL) after answering loses no pin', async () => {
    const t = await sign(tool('survivor'), acme(), { perms: ['x'] });
    const killedPrefix = `${prefix}killed:`;
    await writeJson(`${a.dir}/trust.jwks.json`, await trustJwks(acme()));
    await writeFile(`${a.dir}/list.json`, listResponse([t]));
    const proc = spawn(process.execPath, ['--conditions=@etdi/source', '--import', 'tsx', child], {
      cwd: root,
      env: { ...process.env, REDIS_URL: redisInfo.url, PREFIX: killedPrefix, DIR: a.dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      proc.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    expect(line).toBe('listed 1');
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
    const store = new RedisPinStore({ redis, prefix: killedPrefix });
    expect(await store.get('com.acme', 'survivor')).toMatchObject({ ver: '1.0.0', perms: ['x'] });
    const survivor = await guardWith({
      jwks: await trustJwks(acme()),
      pins: { store: 'redis', redis: { url: redisInfo.url, prefix: killedPrefix } },
    });
    guards.push(survivor);
    const pulled = await sign(tool('survivor', 'changed'), acme(), { perms: ['x'] });
    await survivor.guard.rewriteToolsList(ctx, listResponse([pulled]), undefined);
    expect(survivor.logger.audit().at(-1)).toMatchObject({ reason: 'rug-pull' });
  });
});

describe('pins.store: redis without a reachable Redis', () => {
  it('is a start-up error naming /pins/redis/url', async () => {
    const acme = await provider('com.acme');
    await expect(
      guardWith({
        jwks: await trustJwks(acme),
        pins: { store: 'redis', redis: { url: 'redis://127.0.0.1:1' } },
      }),
    ).rejects.toMatchObject({ code: 'store-error', pointer: '/pins/redis/url' });
  });
});
