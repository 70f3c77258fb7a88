// A server for registry.bench.ts, in its own process so that the load generator does not share
// its event loop: `bare` (a Fastify route returning fixed bytes), `sqlite` or `postgres` (the
// registry). Prints its URL as one line on stdout; ends on SIGTERM.
import Fastify from 'fastify';
import { generateKeyPair } from '@etdi/core';
import { buildRegistry, openStore } from '../src/index.js';

const [kind = 'bare', db = '', schema] = process.argv.slice(2);

async function bare(): Promise<string> {
  const body = Buffer.from(process.env.BENCH_BODY ?? '{}');
  const app = Fastify({ logger: false });
  app.get('/v1/tools/:iss/:name/:ver', async (_request, reply) =>
    reply.header('content-type', 'application/json; charset=utf-8').send(body),
  );
  process.once('SIGTERM', () => void app.close());
  return app.listen({ host: '127.0.0.1', port: 0 });
}

async function registry(): Promise<string> {
  const pair = await generateKeyPair('EdDSA', { iss: 'registry.bench' });
  const app = await buildRegistry({
    store: openStore(db, schema === undefined ? {} : { schema }),
    id: 'registry.bench',
    signingKey: pair.privateJwk,
    adminKeys: [process.env.BENCH_ADMIN_KEY!],
    // Production limits, set far above the benchmark's rate so that it never trips them.
    rateLimit: { max: 1_000_000_000, windowMs: 60_000 },
    bodyLimitBytes: 16 * 1024 * 1024,
    processMetrics: false,
  });
  process.once('SIGTERM', () => void app.close());
  return app.listen({ host: '127.0.0.1', port: 0 });
}

process.stdout.write(`${kind === 'bare' ? await bare() : await registry()}\n`);
