/**
 * `etdi-gateway` as a real process with stdio upstreams: no child survives it, whether it is
 * stopped gracefully (SIGTERM: children get SIGTERM, then SIGKILL after the grace period) or
 * killed outright (SIGKILL: the children's stdin closes and the MCP servers exit; one that
 * ignores both is killed by the gateway's watchdog). Checked by the children's process ids,
 * read from /proc.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readFileSync } from 'node:fs';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provider, tempDir, trustJwks, writeJson } from './guard/support/fixtures.js';
import { freePort } from './support/gateway.js';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';
import { alive, childrenOf, EVERYTHING, filesystem, until } from './support/stdio-servers.js';

const STUBBORN = {
  command: process.execPath,
  args: [fileURLToPath(new URL('./support/stubborn-server.mjs', import.meta.url))],
};

function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

describe.skipIf(process.platform !== 'linux')('etdi-gateway leaves no stdio child behind', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  const started: GatewayProcess[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(await provider('com.acme')));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    for (const gateway of started) await gateway.stop('SIGKILL');
    await dir?.cleanup();
  });

  async function gatewayWithChildren(name: string) {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const config = await writeJson(`${dir.dir}/${name}.json`, {
      listen: { host: '127.0.0.1', port },
      publicUrl: origin,
      logLevel: 'warn',
      auth: { providers: { edge: { type: 'proxy', clientAuthEnabled: false } } },
      trust: { jwks: ['trust.jwks.json'] },
      upstreams: {
        everything: { ...EVERYTHING, mode: 'report', providers: ['com.acme'] },
        files: { ...filesystem(dir.dir), mode: 'report', providers: ['com.acme'] },
        stubborn: { ...STUBBORN, shutdownGrace: '1s', mode: 'report', providers: ['com.acme'] },
      },
    });
    const gateway = await startGatewayProcess(config, origin);
    started.push(gateway);
    for (const upstream of ['everything', 'everything', 'files', 'stubborn']) {
      const client = new Client({ name: 'orphans', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${origin}/servers/${upstream}/mcp`)),
      );
      await client.listTools();
      clients.push(client);
    }
    // The servers, and the watchdog (a `node -e` process).
    const all = childrenOf(gateway.child.pid!).filter(alive);
    const watchdogs = all.filter((pid) => argvOf(pid)[1] === '-e');
    const children = all.filter((pid) => !watchdogs.includes(pid));
    return { gateway, children, watchdogs };
  }

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`killed with ${signal}: every child is gone`, async () => {
      const { gateway, children, watchdogs } = await gatewayWithChildren(signal.toLowerCase());
      // One child per session: two of server-everything, one of server-filesystem, the stubborn.
      expect(children.length).toBe(4);
      expect(watchdogs.length).toBe(1);
      await gateway.stop(signal);
      expect(gateway.child.signalCode ?? gateway.child.exitCode).not.toBeNull();
      // Graceful: the gateway stops (and reaps) its children before it exits.
      if (signal === 'SIGTERM') expect(children.filter(alive)).toEqual([]);
      await until(
        () => [...children, ...watchdogs].every((pid) => !alive(pid)),
        'every child and the watchdog to exit',
      );
      expect([...children, ...watchdogs].filter(alive)).toEqual([]);
    }, 120_000);
  }
});
