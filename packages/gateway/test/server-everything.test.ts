/**
 * `@modelcontextprotocol/server-everything`, unmodified, as a third-party upstream: enforce shows
 * none of its (unsigned) tools, report shows all of them flagged, its reviewed tool list signed
 * into `signedTools` makes them all pass and callable, and a signed copy whose description
 * differs from what the server serves is `digest-mismatch`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureLogger,
  provider,
  sign,
  tempDir,
  trustJwks,
  writeJson,
} from './guard/support/fixtures.js';
import { startGateway, type RunningGateway } from './support/gateway.js';
import {
  rawToolList,
  startServerEverything,
  type ServerEverything,
} from './support/server-everything.js';
import type { Tool } from '@etdi/core';

describe('server-everything behind the gateway', () => {
  let everything: ServerEverything;
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };
  let reviewed: Record<string, unknown>[];
  let signed: Record<string, unknown>[];
  const logger = captureLogger();

  beforeAll(async () => {
    everything = await startServerEverything();
    reviewed = await rawToolList(everything.url);
    const good = await provider('org.example.reviewed');
    const stale = await provider('org.example.changed');
    signed = await Promise.all(reviewed.map((t) => sign(t as unknown as Tool, good)));
    // A reviewed copy in which one description differs from what the server serves.
    const changed = await Promise.all(
      reviewed.map((t) =>
        sign(
          (t.name === 'echo'
            ? { ...t, description: 'Echoes back the input.' }
            : t) as unknown as Tool,
          stale,
        ),
      ),
    );
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(good, stale));
    await writeJson(`${dir.dir}/everything.tools.json`, { tools: signed });
    await writeJson(`${dir.dir}/changed.tools.json`, { tools: changed });
    const url = everything.url.href;
    gateway = await startGateway(
      {
        auth: { providers: { edge: { type: 'proxy', clientAuthEnabled: false } } },
        trust: {
          jwks: [`${dir.dir}/trust.jwks.json`],
          signedTools: [`${dir.dir}/everything.tools.json`, `${dir.dir}/changed.tools.json`],
        },
        upstreams: {
          enforce: { url, mode: 'enforce', providers: ['org.example.unknown'] },
          report: { url, mode: 'report', providers: ['org.example.unknown'] },
          attested: { url, mode: 'enforce', providers: ['org.example.reviewed'] },
          changed: { url, mode: 'enforce', providers: ['org.example.changed'] },
        },
      },
      { logger },
    );
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await everything?.close();
    await dir?.cleanup();
  });

  async function listThrough(upstream: string) {
    const client = new Client({ name: 'everything-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(gateway.mcpUrl(upstream)));
    const { tools } = await client.listTools();
    return { client, tools };
  }

  it('serves a reviewed list of more than a handful of tools', () => {
    expect(reviewed.length).toBeGreaterThan(5);
    expect(reviewed.map((t) => t.name)).toContain('echo');
  });

  it('enforce: shows none of its unsigned tools', async () => {
    const { client, tools } = await listThrough('enforce');
    expect(tools).toEqual([]);
    const reasons = new Set(
      logger
        .audit()
        .filter((r) => r.upstream === 'enforce')
        .map((r) => r.reason),
    );
    expect(reasons).toEqual(new Set(['unsigned']));
    await client.close();
  });

  it('report: shows all of them, each flagged with its reason', async () => {
    const { client, tools } = await listThrough('report');
    expect(tools.map((t) => t.name)).toEqual(reviewed.map((t) => t.name));
    for (const t of tools) {
      expect(t._meta?.['io.etdi/verification']).toEqual({ ok: false, reason: 'unsigned' });
    }
    await client.close();
  });

  it('attested: all pass, served as their signed copies, and are callable', async () => {
    const { client, tools } = await listThrough('attested');
    expect(tools).toEqual(signed);
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
    expect(JSON.stringify(result.content)).toContain('hello');
    await client.close();
  });

  it('a signed copy with a changed description: that tool is digest-mismatch, the rest pass', async () => {
    const { client, tools } = await listThrough('changed');
    expect(tools.map((t) => t.name)).toEqual(
      reviewed.map((t) => t.name).filter((n) => n !== 'echo'),
    );
    const echo = logger.audit().filter((r) => r.upstream === 'changed' && r.tool === 'echo');
    expect(echo.at(-1)).toMatchObject({ decision: 'rejected', reason: 'digest-mismatch' });
    await client.close();
  });
});
