/**
 * Cached `getAccessToken` throughput against the bare store it reads, measured side by side in
 * one run (interleaved rounds, warm-up first, medians reported). Prints ratios; asserts nothing.
 *
 * - memory: `getAccessToken` (MemoryTokenCache) vs a bare `Map.get`, and vs `await Map.get`
 *   (the promise hop every async API pays).
 * - Redis: `getAccessToken` (RedisTokenCache: GET + AES-256-GCM open + JSON parse) vs a bare
 *   Redis `GET` of the same key, one at a time and 64 in flight.
 */
import { Redis } from 'ioredis';
import { RedisTokenCache, createOAuthService, type OAuthConfig } from '@etdi/oauth';
import { service } from '../../../testing/services.js';
import { clientCredentials } from '../test/support/harness.js';
import { TestOAuthServer } from '../test/support/oauth-server.js';

const ROUNDS = 7;
const ROUND_MS = 300;

type Variant = { readonly name: string; readonly run: (n: number) => Promise<void> | void };

let sink = 0;

async function opsPerSecond(variant: Variant, ms: number): Promise<number> {
  let ops = 0;
  let batch = 256;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    await variant.run(batch);
    ops += batch;
    elapsed = performance.now() - start;
    if (elapsed < ms / 10) batch *= 2;
  }
  return (ops / elapsed) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function compare(title: string, variants: Variant[]): Promise<Map<string, number>> {
  for (const variant of variants) await opsPerSecond(variant, ROUND_MS); // warm-up
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no variant always runs on a cold or hot machine.
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(round + i) % variants.length]!;
      samples.get(variant.name)!.push(await opsPerSecond(variant, ROUND_MS));
    }
  }
  const medians = new Map([...samples].map(([name, values]) => [name, median(values)]));
  console.log(`\n${title} (median of ${ROUNDS} rounds of ${ROUND_MS} ms)`);
  for (const [name, value] of medians) {
    console.log(
      `  ${name.padEnd(44)} ${Math.round(value).toLocaleString('en-US').padStart(14)} ops/s`,
    );
  }
  return medians;
}

function ratio(label: string, medians: Map<string, number>, subject: string, baseline: string) {
  const value = medians.get(subject)! / medians.get(baseline)!;
  console.log(`  ratio ${label.padEnd(38)} ${value.toFixed(3)}x`);
}

const server = await TestOAuthServer.start();
try {
  const config: OAuthConfig = clientCredentials(server);

  // --- memory ---------------------------------------------------------------------------
  const oauth = createOAuthService();
  const warm = await oauth.getAccessToken('bench-upstream', config, { projectId: 'p' });
  if (!warm.ok) throw warm.error;
  const map = new Map([['bench-upstream:p', warm.token]]);
  const memory = await compare('memory cache', [
    {
      name: 'bare Map.get',
      run: (n) => {
        for (let i = 0; i < n; i++) if (map.get('bench-upstream:p') !== undefined) sink++;
      },
    },
    {
      name: 'await Map.get',
      run: async (n) => {
        for (let i = 0; i < n; i++) if ((await map.get('bench-upstream:p')) !== undefined) sink++;
      },
    },
    {
      name: 'await getAccessToken (memory)',
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          const r = await oauth.getAccessToken('bench-upstream', config, { projectId: 'p' });
          if (r.ok) sink++;
        }
      },
    },
  ]);
  ratio('getAccessToken / bare Map.get', memory, 'await getAccessToken (memory)', 'bare Map.get');
  ratio('getAccessToken / await Map.get', memory, 'await getAccessToken (memory)', 'await Map.get');

  // --- Redis ----------------------------------------------------------------------------
  const info = await service('redis');
  if (!info.available) {
    console.log('\nRedis cache: SKIPPED (Redis not reachable)');
  } else {
    const redis = new Redis(info.url);
    const prefix = `etdi-bench:oauth:${process.pid}:`;
    const cache = new RedisTokenCache({
      redis,
      prefix: prefix,
      encryptionKey: Buffer.alloc(32, 3),
    });
    const shared = createOAuthService({ cache });
    const first = await shared.getAccessToken('bench-upstream', config, { projectId: 'p' });
    if (!first.ok) throw first.error;
    const [redisKey] = await redis.keys(`${prefix}*`);
    if (redisKey === undefined) throw new Error('no Redis entry');
    const inFlight = 64;
    const concurrently = async (n: number, op: () => Promise<unknown>) => {
      for (let done = 0; done < n; done += inFlight) {
        await Promise.all(Array.from({ length: inFlight }, op));
      }
    };
    const redisMedians = await compare('Redis cache', [
      {
        name: 'bare Redis GET (sequential)',
        run: async (n) => {
          for (let i = 0; i < n; i++) if ((await redis.get(redisKey)) !== null) sink++;
        },
      },
      {
        name: 'getAccessToken (Redis, sequential)',
        run: async (n) => {
          for (let i = 0; i < n; i++) {
            const r = await shared.getAccessToken('bench-upstream', config, { projectId: 'p' });
            if (r.ok) sink++;
          }
        },
      },
      {
        name: `bare Redis GET (${inFlight} in flight)`,
        run: (n) => concurrently(n, () => redis.get(redisKey)),
      },
      {
        name: `getAccessToken (Redis, ${inFlight} in flight)`,
        run: (n) =>
          concurrently(n, () =>
            shared.getAccessToken('bench-upstream', config, { projectId: 'p' }),
          ),
      },
    ]);
    ratio(
      'getAccessToken / GET (sequential)',
      redisMedians,
      'getAccessToken (Redis, sequential)',
      'bare Redis GET (sequential)',
    );
    ratio(
      `getAccessToken / GET (${inFlight} in flight)`,
      redisMedians,
      `getAccessToken (Redis, ${inFlight} in flight)`,
      `bare Redis GET (${inFlight} in flight)`,
    );
    const misses = shared.metrics.snapshot().cache.misses;
    console.log(`  (token requests during the Redis runs: ${misses - 1})`);
    await redis.del(redisKey);
    await redis.quit();
  }
  console.log(`\n(sink ${sink > 0 ? 'ok' : 'empty'})`);
} finally {
  await server.close();
}
