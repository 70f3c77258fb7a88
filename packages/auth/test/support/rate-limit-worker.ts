// A separate gateway process hammering one rate-limit key (a day window, which a test run does
// not straddle): argv = url prefix subject count limit now.
import { Redis } from 'ioredis';
import { RedisRateLimiter } from '../../src/api-key/redis-rate-limiter.js';

const [url, prefix, subject, count, limit, now] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const redis = new Redis(url);
const limiter = new RedisRateLimiter({ redis, prefix });
// Wait for the parent's signal on stdin, so every process starts at the same moment.
process.stdin.once('data', async () => {
  const decisions = await Promise.all(
    Array.from({ length: Number(count) }, () =>
      limiter.consume(subject, [{ window: 'day', limit: Number(limit) }], Number(now)),
    ),
  );
  process.stdout.write(JSON.stringify({ allowed: decisions.filter((d) => d.allowed).length }));
  await redis.quit();
  process.exit(0);
});
process.stdout.write('ready\n');
