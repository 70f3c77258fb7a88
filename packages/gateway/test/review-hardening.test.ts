/**
 * Attacks from the security review of the stateless-revision, `/mcp` and bridge paths, each
 * performed by a real client over real sockets against a real gateway in front of a real
 * official-SDK upstream: the attacker gets the exact refusal, the legitimate caller still gets
 * its answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureLogger,
  provider,
  sign,
  tempDir,
  tool,
  trustJwks,
  writeJson,
} from './guard/support/fixtures.js';
import { apiKeyAuth, caller, startGateway, type RunningGateway } from './support/gateway.js';
import { INITIALIZE } from './support/raw-mcp.js';
import { startUpstream, type TestUpstream } from './support/upstream.js';
import type { SignedTool } from '@etdi/core';

const MODERN = '2026-07-28';
const META = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'review', version: '1' },
};
const alice = caller('alice', ['files:read']);
const bob = caller('bob', ['files:read']);
/** Not in `aggregate.access`. */
const carol = caller('carol', ['files:read']);
/** Listed for `scoped` only, with its scope. */
const dave = caller('dave', ['files:read', 'secret:use']);
/** User ids that are names of `Object.prototype` members. */
const ctor = caller('constructor', ['files:read']);
const proto = caller('__proto__', ['files:read']);
/** Listed only under its provider-qualified id `keys:erin`. */
const erin = caller('erin', ['files:read']);

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: {
    id?: unknown;
    result?: Record<string, unknown>;
    error?: { code: number; message: string; data?: { reason?: string } };
  };
}

async function post(
  url: URL,
  key: string,
  headers: Record<string, string>,
  body: object,
): Promise<Answer> {
  const r = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-api-key': key,
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', ...body }),
  });
  const text = await r.text();
  let json: Answer['json'] = {};
  if (text.startsWith('{')) json = JSON.parse(text) as Answer['json'];
  else if (text.includes('data: ')) {
    const data = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6))
      .find((l) => l.includes('"id"'));
    if (data) json = JSON.parse(data) as Answer['json'];
  }
  return { status: r.status, text, json };
}

/** The headers of a stateless (2026-07-28) request. */
function modern(method: string, name?: string): Record<string, string> {
  return {
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
    ...(name ? { 'mcp-name': name } : {}),
  };
}

function listBody(id: number, cursor?: string): object {
  return {
    id,
    method: 'tools/list',
    params: { ...(cursor === undefined ? {} : { cursor }), _meta: META },
  };
}

function callBody(id: number, name: string): object {
  return { id, method: 'tools/call', params: { name, arguments: { path: '/a' }, _meta: META } };
}

/** The caller's tools/call of `name` reaches the upstream and comes back with its result. */
async function expectAnswered(key: string, url: URL, name: string): Promise<void> {
  const call = await post(url, key, modern('tools/call', name), callBody(3, name));
  expect(call.json.error).toBeUndefined();
  expect(JSON.stringify(call.json.result)).toContain(`called ${name.split('__').at(-1)!}`);
}

function names(a: Answer): string[] {
  const tools = (a.json.result?.tools ?? []) as { name: string }[];
  return tools.map((t) => t.name);
}

describe('security review: listings, cursors and bridged messages', () => {
  let paged: TestUpstream;
  let gateway: RunningGateway;
  let dir: { dir: string; cleanup: () => Promise<void> };
  let good: SignedTool;
  let other: SignedTool;
  let mcp: URL;
  const logger = captureLogger();

  beforeAll(async () => {
    const acme = await provider('com.acme');
    dir = await tempDir();
    await writeJson(`${dir.dir}/trust.jwks.json`, await trustJwks(acme));
    good = await sign(tool('good_read'), acme, { perms: ['files:read'] });
    other = await sign(tool('other_read'), acme, { perms: ['files:read'] });
    // Pages of one tool; the cursor is the index of the next tool (so "0" is page one again).
    paged = await startUpstream([good, other], { pageSize: 1 });
    gateway = await startGateway(
      {
        auth: apiKeyAuth(alice, bob, carol, dave, ctor, proto, erin),
        trust: { jwks: [`${dir.dir}/trust.jwks.json`] },
        aggregate: {
          access: {
            alice: ['legacy', 'scoped'],
            bob: ['legacy'],
            dave: ['scoped'],
            'keys:erin': ['legacy'],
          },
        },
        upstreams: {
          legacy: { url: paged.url.href, providers: ['com.acme'] },
          scoped: {
            url: paged.url.href,
            providers: ['com.acme'],
            aggregate: { prefix: 'sc', scope: 'secret:use' },
          },
        },
      },
      { logger },
    );
    mcp = new URL(`${gateway.origin}/mcp`);
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await paged?.close();
    await dir?.cleanup();
  });

  describe('finding 1: listing state and cursors', () => {
    it('/mcp refuses a cursor it did not issue; the guard records stay intact for bob', async () => {
      const first = await post(mcp, alice.key, modern('tools/list'), listBody(1));
      expect(names(first)).toEqual(['legacy__good_read']);
      const forged = Buffer.from(
        JSON.stringify({ m: 'tools/list', p: { legacy: '0' } }),
        'utf8',
      ).toString('base64url');
      const attack = await post(mcp, alice.key, modern('tools/list'), listBody(2, forged));
      expect(attack.json.error?.code).toBe(-32602);
      expect(attack.json.error?.message).toMatch(/invalid cursor/);
      await expectAnswered(bob.key, mcp, 'legacy__good_read');
    });

    it("/mcp cursors are bound to the caller: bob cannot page with alice's cursor", async () => {
      const first = await post(mcp, alice.key, modern('tools/list'), listBody(1));
      const cursor = first.json.result?.nextCursor;
      expect(typeof cursor).toBe('string');
      const stolen = await post(mcp, bob.key, modern('tools/list'), listBody(2, cursor as string));
      expect(stolen.json.error?.code).toBe(-32602);
      expect(stolen.json.error?.message).toMatch(/invalid cursor/);
      const own = await post(mcp, alice.key, modern('tools/list'), listBody(3, cursor as string));
      expect(names(own)).toEqual(['legacy__other_read']);
    });

    it('a replayed upstream cursor on /servers/<name>/mcp cannot make anyone else refused', async () => {
      const url = gateway.mcpUrl('legacy');
      const first = await post(url, alice.key, modern('tools/list'), listBody(1));
      expect(names(first)).toEqual(['good_read']);
      // "0" is the upstream's first page again: a cursor nobody was handed in this listing.
      const replay = await post(url, alice.key, modern('tools/list'), listBody(2, '0'));
      expect(replay.json.error).toBeUndefined();
      await expectAnswered(bob.key, url, 'good_read');
    });

    it('an upstream that repeats a tool across pages fails that listing only', async () => {
      const url = gateway.mcpUrl('legacy');
      const first = await post(url, alice.key, modern('tools/list'), listBody(1));
      expect(first.json.result?.nextCursor).toBe('1');
      paged.setTools([other, good]);
      try {
        const repeated = await post(url, alice.key, modern('tools/list'), listBody(2, '1'));
        expect(repeated.json.error?.code).toBe(-32603);
        expect(repeated.json.error?.data?.reason).toBe('malformed');
        expect(repeated.json.error?.message).toMatch(/earlier page/);
      } finally {
        paged.setTools([good, other]);
      }
      await expectAnswered(bob.key, url, 'good_read');
    });
  });
  describe('finding 3: a request without a valid id is refused before anything goes upstream', () => {
    function upstreamCalls(from: number): string[] {
      return paged.seen
        .slice(from)
        .filter((r) => r.body.includes('"tools/call"'))
        .map((r) => r.body);
    }

    async function session(url: URL): Promise<string> {
      const r = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'x-api-key': alice.key,
        },
        body: JSON.stringify({ jsonrpc: '2.0', ...INITIALIZE }),
      });
      await r.text();
      const sid = r.headers.get('mcp-session-id');
      expect(sid).toBeTruthy();
      return sid!;
    }

    it('stateless tools/call without an id through the bridge: -32600, nothing upstream', async () => {
      const before = paged.seen.length;
      const r = await post(gateway.mcpUrl('legacy'), alice.key, modern('tools/call', 'unsigned'), {
        method: 'tools/call',
        params: { name: 'unsigned', arguments: {}, _meta: META },
      });
      expect(r.status).toBe(400);
      expect(r.json.error?.code).toBe(-32600);
      expect(upstreamCalls(before)).toEqual([]);
      await expectAnswered(alice.key, gateway.mcpUrl('legacy'), 'good_read');
    });

    it('a session client sending "id": true on the pass-through path: -32600, nothing upstream', async () => {
      const url = gateway.mcpUrl('legacy');
      const sid = await session(url);
      const headers = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
      const before = paged.seen.length;
      const r = await post(url, alice.key, headers, {
        id: true,
        method: 'tools/call',
        params: { name: 'unsigned', arguments: {} },
      });
      expect(r.status).toBe(400);
      expect(r.json.error?.code).toBe(-32600);
      const unknown = await post(url, alice.key, headers, { method: 'notifications/made_up' });
      expect(unknown.status).toBe(400);
      expect(unknown.json.error?.code).toBe(-32600);
      expect(upstreamCalls(before)).toEqual([]);
      const ok = await post(url, alice.key, headers, {
        id: 7,
        method: 'tools/call',
        params: { name: 'good_read', arguments: {} },
      });
      expect(JSON.stringify(ok.json.result)).toContain('called good_read');
    });

    it('/mcp refuses tools/call without an id (-32600) and answers the same call with one', async () => {
      const before = paged.seen.length;
      const r = await post(mcp, alice.key, modern('tools/call', 'legacy__good_read'), {
        method: 'tools/call',
        params: { name: 'legacy__good_read', arguments: {}, _meta: META },
      });
      expect(r.status).toBe(400);
      expect(r.json.error?.code).toBe(-32600);
      expect(upstreamCalls(before)).toEqual([]);
      await expectAnswered(alice.key, mcp, 'legacy__good_read');
    });
  });
  describe('finding 6: one rule for which upstreams a caller may use, on every route', () => {
    it('a caller aggregate.access does not list gets 403 upstream-forbidden on /servers/<name>/mcp', async () => {
      const before = paged.seen.length;
      const r = await post(gateway.mcpUrl('legacy'), carol.key, modern('tools/list'), listBody(1));
      expect(r.status).toBe(403);
      expect(r.json.error?.code).toBe(-32003);
      expect(r.json.error?.data?.reason).toBe('upstream-forbidden');
      expect(paged.seen.length).toBe(before);
      const onMcp = await post(mcp, carol.key, modern('tools/list'), listBody(2));
      expect(names(onMcp)).toEqual([]);
      await expectAnswered(bob.key, gateway.mcpUrl('legacy'), 'good_read');
    });

    it('a caller without aggregate.scope gets 403 insufficient_scope on /servers/<name>/mcp', async () => {
      const before = paged.seen.length;
      const r = await fetch(gateway.mcpUrl('scoped'), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'x-api-key': alice.key,
          ...modern('tools/list'),
        },
        body: JSON.stringify({ jsonrpc: '2.0', ...listBody(1) }),
      });
      expect(r.status).toBe(403);
      expect(r.headers.get('www-authenticate')).toMatch(/insufficient_scope.*secret:use/);
      expect(paged.seen.length).toBe(before);
      const onMcp = await post(mcp, alice.key, modern('tools/list'), listBody(2));
      expect(names(onMcp)).toEqual(['legacy__good_read']);
      await expectAnswered(dave.key, gateway.mcpUrl('scoped'), 'good_read');
      await expectAnswered(dave.key, mcp, 'sc__good_read');
    });
  });
  describe('finding 7: aggregate.access look-ups', () => {
    it('user ids "constructor" and "__proto__" are callers like any other (not 500)', async () => {
      for (const who of [ctor, proto]) {
        const onMcp = await post(mcp, who.key, modern('tools/list'), listBody(1));
        expect(onMcp.status).toBe(200);
        expect(names(onMcp)).toEqual([]);
        const route = await post(
          gateway.mcpUrl('legacy'),
          who.key,
          modern('tools/list'),
          listBody(2),
        );
        expect(route.status).toBe(403);
        expect(route.json.error?.data?.reason).toBe('upstream-forbidden');
      }
    });

    it("a provider-qualified entry (<provider>:<user id>) matches that provider's user", async () => {
      const onMcp = await post(mcp, erin.key, modern('tools/list'), listBody(1));
      expect(names(onMcp)).toEqual(['legacy__good_read']);
      await expectAnswered(erin.key, gateway.mcpUrl('legacy'), 'good_read');
    });
  });
  describe('finding 8a: /mcp ignores Mcp-Session-Id in the stateless era', () => {
    it("a forged session id neither reaches the audit record nor another caller's listing", async () => {
      const forged = 'victim-session-id';
      const r = await post(
        mcp,
        alice.key,
        { ...modern('tools/call', 'legacy__good_read'), 'mcp-session-id': forged },
        callBody(1, 'legacy__good_read'),
      );
      expect(JSON.stringify(r.json.result)).toContain('called good_read');
      const record = logger.audit('tools/call').at(-1);
      expect(record).toMatchObject({ tool: 'good_read', decision: 'allowed' });
      expect(record?.session).toBeUndefined();
    });
  });
  describe('finding 8d: the bridge carries no cancellation or progress across callers', () => {
    it('notifications/cancelled and progress from a bridged client are answered 202 and dropped', async () => {
      const url = gateway.mcpUrl('legacy');
      await expectAnswered(alice.key, url, 'good_read');
      const before = paged.seen.length;
      for (const [method, params] of [
        ['notifications/cancelled', { requestId: 1, reason: 'mine now', _meta: META }],
        ['notifications/progress', { progressToken: 1, progress: 1, _meta: META }],
      ] as const) {
        const r = await post(url, alice.key, modern(method), { method, params });
        expect(r.status).toBe(202);
      }
      const forwarded = paged.seen
        .slice(before)
        .filter(
          (q) =>
            q.body.includes('notifications/cancelled') || q.body.includes('notifications/progress'),
        );
      expect(forwarded).toEqual([]);
      await expectAnswered(bob.key, url, 'good_read');
    });
  });
  describe('finding 1, two nodes: /mcp cursors and aggregate.cursorSecret', () => {
    async function node(cursorSecret?: string): Promise<RunningGateway> {
      return startGateway(
        {
          auth: apiKeyAuth(alice),
          trust: { jwks: [`${dir.dir}/trust.jwks.json`] },
          aggregate: cursorSecret === undefined ? {} : { cursorSecret },
          upstreams: { legacy: { url: paged.url.href, providers: ['com.acme'] } },
        },
        { logger: captureLogger() },
      );
    }

    it('a cursor pages on the other node with a shared secret, and is a clean -32602 without', async () => {
      const secret = 'a-shared-cursor-secret-of-32-chars!';
      const nodes = [await node(secret), await node(secret), await node(), await node()];
      try {
        const urls = nodes.map((n) => new URL(`${n.origin}/mcp`));
        const onA = await post(urls[0]!, alice.key, modern('tools/list'), listBody(1));
        const onB = await post(
          urls[1]!,
          alice.key,
          modern('tools/list'),
          listBody(2, onA.json.result?.nextCursor as string),
        );
        expect(names(onB)).toEqual(['legacy__other_read']);
        const onC = await post(urls[2]!, alice.key, modern('tools/list'), listBody(3));
        const onD = await post(
          urls[3]!,
          alice.key,
          modern('tools/list'),
          listBody(4, onC.json.result?.nextCursor as string),
        );
        expect(onD.json.error?.code).toBe(-32602);
        expect(onD.json.error?.message).toMatch(/invalid cursor/);
      } finally {
        await Promise.all(nodes.map((n) => n.close()));
      }
    }, 60_000);
  });
});
