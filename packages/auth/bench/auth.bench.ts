// Authentications per second of @etdi/auth, each as a ratio to the bare operation it wraps,
// measured side by side in one run (alternating rounds, warm-up, median of several rounds).
// It prints numbers; it asserts nothing about time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import {
  ApiKeyProvider,
  AuthCredentials,
  JwtProvider,
  MemoryApiKeyStore,
  RedisApiKeyStore,
  RedisRateLimiter,
  createAuthenticator,
  parseApiKey,
} from '@etdi/auth';

const ROUNDS = 7;
const ROUND_MS = 250;

type Op = () => Promise<unknown>;

/** Runs `op` with `concurrency` in flight until `count` operations completed; ops/s. */
async function round(op: Op, count: number, concurrency: number): Promise<number> {
  let started = 0;
  const start = process.hrtime.bigint();
  const worker = async () => {
    while (started < count) {
      started++;
      await op();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

async function calibrate(op: Op, concurrency: number): Promise<number> {
  let count = 50;
  for (;;) {
    const start = performance.now();
    await round(op, count, concurrency);
    const ms = performance.now() - start;
    if (ms > 50) return Math.max(50, Math.round((count * ROUND_MS) / ms));
    count *= 4;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

interface Row {
  name: string;
  ours: number;
  bare: number;
}

async function compare(name: string, ours: Op, bare: Op, concurrency = 1): Promise<Row> {
  // Warm-up both (JIT, caches, connections), then alternate rounds so drift hits both alike.
  const oursCount = await calibrate(ours, concurrency);
  const bareCount = await calibrate(bare, concurrency);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await round(ours, oursCount, concurrency));
    b.push(await round(bare, bareCount, concurrency));
  }
  return { name, ours: median(a), bare: median(b) };
}

function print(rows: Row[]): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
  console.log(`${'benchmark'.padEnd(66)} ${'ours/s'.padStart(10)} ${'bare/s'.padStart(10)}  ratio`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(66)} ${fmt(r.ours)} ${fmt(r.bare)}  ${(r.ours / r.bare).toFixed(2)}x`,
    );
  }
}

async function apiKeyMemory(): Promise<Row[]> {
  const store = new MemoryApiKeyStore();
  const plain = new ApiKeyProvider({ store });
  const key = (await plain.issueKey({ userId: 'bench', scopes: ['tools:call'] })).reveal();
  const limited = new ApiKeyProvider({
    store,
    defaultPolicy: {
      rateLimits: { perMinute: 1e9 },
      allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
      allowedEndpoints: ['POST /mcp'],
    },
  });
  const creds = new AuthCredentials({
    apiKey: key,
    context: { remoteAddress: '10.1.2.3', method: 'POST', path: '/mcp' },
  });
  // The bare operation: look the record up by key id, hash the key, compare in constant time.
  const { keyId } = parseApiKey(key)!;
  const hashes = new Map([[keyId, createHash('sha256').update(key).digest()]]);
  const bare = async () => {
    const stored = hashes.get(key.slice(0, key.indexOf('.')))!;
    const actual = createHash('sha256').update(key).digest();
    return timingSafeEqual(stored, actual);
  };
  const auth = createAuthenticator({ providers: [plain] });
  const request = {
    headers: { 'x-api-key': key, accept: 'application/json' },
    socket: { remoteAddress: '10.1.2.3' },
    url: '/mcp',
    method: 'POST',
  };
  return [
    await compare(
      'API key, memory store: authenticate vs hash lookup',
      () => plain.authenticate(creds),
      bare,
    ),
    await compare(
      'API key, memory, IP/endpoint policy + rate limit',
      () => limited.authenticate(creds),
      bare,
    ),
    await compare(
      'API key, memory: extract + chain (authenticateRequest)',
      () => auth.authenticateRequest(request),
      bare,
    ),
  ];
}

async function apiKeyRedis(): Promise<Row[]> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch {
    console.log(`!!! SKIPPING the Redis benchmarks: Redis is not reachable at ${url}`);
    redis.disconnect();
    return [];
  }
  const prefix = `etdi-bench:auth:${process.pid}:`;
  try {
    const store = new RedisApiKeyStore({ redis, prefix });
    const plain = new ApiKeyProvider({ store });
    const limited = new ApiKeyProvider({
      store,
      rateLimiter: new RedisRateLimiter({ redis, prefix }),
    });
    const key = (await plain.issueKey({ userId: 'bench' })).reveal();
    const limitedKey = (
      await plain.issueKey({
        userId: 'bench',
        policy: { rateLimits: { perMinute: 1e9, perDay: 1e9 } },
      })
    ).reveal();
    const creds = new AuthCredentials({ apiKey: key });
    const limitedCreds = new AuthCredentials({ apiKey: limitedKey });
    const { keyId } = parseApiKey(key)!;
    const bareKey = `${prefix}bare:${keyId}`;
    await redis.set(bareKey, createHash('sha256').update(key).digest('base64url'));
    const bare = async () => {
      const stored = Buffer.from((await redis.get(bareKey))!, 'base64url');
      return timingSafeEqual(stored, createHash('sha256').update(key).digest());
    };
    return [
      await compare(
        'API key, Redis store: authenticate vs GET + hash (32 in flight)',
        () => plain.authenticate(creds),
        bare,
        32,
      ),
      await compare(
        'API key, Redis store + Redis rate limit (32 in flight)',
        () => limited.authenticate(limitedCreds),
        bare,
        32,
      ),
    ];
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
}

async function jwt(): Promise<Row[]> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256' };
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  try {
    const provider = new JwtProvider({
      jwksUrl,
      allowLoopbackHttp: true,
      algorithms: ['RS256'],
      issuer: 'https://idp.example',
      audience: 'etdi-gateway',
    });
    const token = await new SignJWT({ sub: 'alice', scope: 'tools:call', jti: 'j1' })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench-1' })
      .setIssuer('https://idp.example')
      .setAudience('etdi-gateway')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const creds = new AuthCredentials({ accessToken: token });
    const options = {
      issuer: 'https://idp.example',
      audience: 'etdi-gateway',
      algorithms: ['RS256'],
    };
    const bare = () => jwtVerify(token, publicKey, options);
    const auth = createAuthenticator({ providers: [provider] });
    const request = {
      headers: { authorization: `Bearer ${token}` },
      socket: { remoteAddress: '10.0.0.1' },
    };
    const rows = [
      await compare(
        'JWT RS256, cached JWKS: authenticate vs bare jose.jwtVerify',
        () => provider.authenticate(creds),
        bare,
      ),
      await compare(
        'JWT RS256, cached JWKS: extract + chain',
        () => auth.authenticateRequest(request),
        bare,
      ),
    ];
    console.log(`(JWKS fetched ${fetches} time(s) during the JWT benchmarks)`);
    return rows;
  } finally {
    server.close();
  }
}

const rows = [...(await apiKeyMemory()), ...(await apiKeyRedis()), ...(await jwt())];
console.log(`node ${process.version}, ${ROUNDS} rounds of ~${ROUND_MS} ms each, medians`);
print(rows);
