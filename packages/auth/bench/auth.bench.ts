// Authentications per second of @etdi/auth, each as a ratio to the bare operation it wraps,
// measured side by side in one run with the shared harness (interleaved rounds, medians).
// It prints numbers; it asserts nothing about time.
//   pnpm bench auth
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
import { compare, type Candidate } from '../../../bench/harness.js';

/** `op` run `inFlight` at a time: one harness call is that many operations. */
function concurrent(name: string, op: () => Promise<unknown>, inFlight: number): Candidate {
  return {
    name,
    fn: () => Promise.all(Array.from({ length: inFlight }, op)),
    opsPerCall: inFlight,
  };
}

async function apiKeyMemory(): Promise<void> {
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
    return timingSafeEqual(stored, createHash('sha256').update(key).digest());
  };
  const auth = createAuthenticator({ providers: [plain] });
  const request = {
    headers: { 'x-api-key': key, accept: 'application/json' },
    socket: { remoteAddress: '10.1.2.3' },
    url: '/mcp',
    method: 'POST',
  };
  await compare(
    'API key, memory store (ratio: ours / bare hash lookup)',
    [
      { name: 'bare: hash lookup + timingSafeEqual', fn: bare },
      { name: 'authenticate', fn: () => plain.authenticate(creds) },
      {
        name: 'authenticate, IP/endpoint policy + rate limit',
        fn: () => limited.authenticate(creds),
      },
      {
        name: 'extract + chain (authenticateRequest)',
        fn: () => auth.authenticateRequest(request),
      },
    ],
    { calls: 20_000 },
  );
}

async function apiKeyRedis(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch {
    console.log(`!!! SKIPPING the Redis benchmarks: Redis is not reachable at ${url}`);
    redis.disconnect();
    return;
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
    await compare(
      'API key, Redis, 32 in flight (ratio: ours / bare GET + hash)',
      [
        concurrent('bare: GET + hash', bare, 32),
        concurrent('authenticate, Redis store', () => plain.authenticate(creds), 32),
        concurrent(
          'authenticate, Redis store + Redis rate limit',
          () => limited.authenticate(limitedCreds),
          32,
        ),
      ],
      { calls: 150 },
    );
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
}

async function jwt(): Promise<void> {
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
    const auth = createAuthenticator({ providers: [provider] });
    const request = {
      headers: { authorization: `Bearer ${token}` },
      socket: { remoteAddress: '10.0.0.1' },
    };
    await compare(
      'JWT RS256, cached JWKS (ratio: ours / bare jose.jwtVerify)',
      [
        {
          name: 'bare: jose.jwtVerify with the key',
          fn: () => jwtVerify(token, publicKey, options),
        },
        { name: 'authenticate', fn: () => provider.authenticate(creds) },
        {
          name: 'extract + chain (authenticateRequest)',
          fn: () => auth.authenticateRequest(request),
        },
      ],
      { calls: 400 },
    );
    console.log(`  (JWKS fetched ${fetches} time(s) during the JWT benchmarks)`);
  } finally {
    server.close();
  }
}

console.log(`@etdi/auth, node ${process.version}, medians of 7 interleaved rounds`);
await apiKeyMemory();
await apiKeyRedis();
await jwt();
