/**
 * Real backing services for the test suites (PostgreSQL and Redis on this machine).
 *
 * With `CI=true` the suites that need them are mandatory: an unreachable service fails the run.
 * Elsewhere they are skipped with one loud line that says how to start the service.
 */
import { connect } from 'node:net';
import { describe } from 'vitest';

export interface ServiceInfo {
  readonly name: 'redis' | 'postgres';
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly available: boolean;
}

const HOW_TO_START: Record<ServiceInfo['name'], string> = {
  redis:
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no (or: bash .ci/run)',
  postgres:
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or: bash .ci/run)',
};

function probe(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const cache = new Map<string, Promise<ServiceInfo>>();

async function resolveService(name: ServiceInfo['name']): Promise<ServiceInfo> {
  const url =
    name === 'redis'
      ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
      : (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || (name === 'redis' ? 6379 : 5432));
  const available = await probe(host, port);
  if (!available) {
    const line = `${name} is not reachable at ${host}:${port}; start it with: ${HOW_TO_START[name]}`;
    if (process.env.CI === 'true') {
      throw new Error(`CI=true makes the ${name} suites mandatory, but ${line}`);
    }
    console.warn(`\n!!! SKIPPING the ${name} test suites: ${line}\n`);
  }
  return { name, url, host, port, available };
}

/** Resolves a backing service once per test process. Throws under `CI=true` when unreachable. */
export function service(name: ServiceInfo['name']): Promise<ServiceInfo> {
  let found = cache.get(name);
  if (!found) {
    found = resolveService(name);
    cache.set(name, found);
  }
  return found;
}

/** A unique key prefix for one test run, so parallel runs never see each other's keys. */
export function uniquePrefix(label: string): string {
  return `etdi-test:${label}:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
}

/**
 * `describe` for a suite that needs a real service: the suite runs when the service answers, is
 * skipped loudly when it does not (outside CI), and fails the run under `CI=true`.
 *
 * @example
 * const redis = await service('redis');
 * describeWithService(redis, 'RedisPinStore', () => { ... });
 */
export function describeWithService(info: ServiceInfo, title: string, body: () => void): void {
  (info.available ? describe : describe.skip)(`${title} [${info.name}]`, body);
}
