import { MemoryPinStore, type SignedTool } from '@etdi/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateResponseId } from '../../src/guard/response-id.js';
import {
  corpusTools,
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

const HOUR = 3_600_000;

describe('locateResponseId', () => {
  it.each([
    ['{"result":{"tools":[]},"jsonrpc":"2.0","id":7}', '7'],
    ['{"jsonrpc":"2.0","id":"a\\"b","result":{}}', '"a\\"b"'],
    ['{"jsonrpc":"2.0","result":{"id":1},"id":-1.5e3}', '-1.5e3'],
    [' { "result" : {"x":{"id":2}} , "id" : null } ', 'null'],
    ['{"result":{"a":"\\"id\\":3"},"jsonrpc":"2.0","id":"x"}', '"x"'],
  ])('finds the top-level id of %s', (text, id) => {
    const span = locateResponseId(text)!;
    expect(text.slice(span.start, span.end)).toBe(id);
  });

  it.each([
    // The id is between two objects: neither read is certain without parsing.
    '{"result":{},"id":1,"x":{}}',
    // A backslash where the backward read would need it.
    '{"result":{},"id":"a\\"b"}',
    // Not an id value.
    '{"result":{},"id":true}',
    '{"result":{},"id":{"n":1}}',
    // No id at the top level, only inside.
    '{"result":{"id":1},"jsonrpc":"2.0"}',
    'not json',
  ])('gives up on %s', (text) => {
    expect(locateResponseId(text)).toBeUndefined();
  });

  it('agrees with JSON.parse on every generated message it locates an id in', () => {
    const id = fc.oneof(
      fc.integer(),
      fc.string(),
      fc.constant(null),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        id,
        fc.nat(),
        (members, idValue, at) => {
          const entries = Object.entries(members).filter(([k]) => k !== 'id' && k !== '__proto__');
          entries.splice(at % (entries.length + 1), 0, ['id', idValue]);
          const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
          const span = locateResponseId(text);
          if (span)
            expect(JSON.parse(text.slice(span.start, span.end))).toEqual(JSON.parse(text).id);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('the byte-level list cache', () => {
  let acme: Provider;
  let pins: MemoryPinStore;
  let g: GuardSetup;
  let signed: SignedTool[];

  beforeAll(async () => {
    acme = await provider('com.acme');
    pins = new MemoryPinStore();
    g = await guardWith({ jwks: await trustJwks(acme), options: { pinStore: pins } });
    signed = await Promise.all(
      corpusTools(20).map((t) => sign(t, acme, { perms: ['tools:call'] })),
    );
  });
  afterAll(() => g.cleanup());

  it('answers a list seen before from the cache, with the new id as it was written', async () => {
    const first = await g.guard.rewriteToolsList(ctx, listResponse(signed, 1), undefined);
    expect(first.cached).toBe(false);
    for (const id of [2, 12345678901234567890n.toString(), 'req-7', 0]) {
      const text = listResponse(signed, 1).replace(
        /"id":1}$/,
        `"id":${typeof id === 'string' && !/^\d+$/.test(id) ? JSON.stringify(id) : id}}`,
      );
      const again = await g.guard.rewriteToolsList(ctx, text, undefined);
      expect(again).toMatchObject({ cached: true, verified: 20, rejected: 0 });
      const span = locateResponseId(text)!;
      expect(again.text).toBe(
        first.text.replace(/"id":1}$/, `"id":${text.slice(span.start, span.end)}}`),
      );
    }
    const hits = await g.metrics.getSingleMetricAsString('etdi_gateway_list_cache_total');
    expect(hits).toMatch(/result="hit"} 4/);
  });

  it('caches id-first messages (the Python SDK order) too, escaped string ids included', async () => {
    await g.guard.rewriteToolsList(ctx, listResponse(signed, 1, { idFirst: true }), undefined);
    for (const id of [99, 'a "quoted" \\ id\u2028']) {
      const again = await g.guard.rewriteToolsList(
        ctx,
        listResponse(signed, id, { idFirst: true }),
        undefined,
      );
      expect(again.cached).toBe(true);
      expect(JSON.parse(again.text).id).toBe(id);
    }
  });

  it('does not cache when the id cannot be located with certainty, and still verifies', async () => {
    const text = listResponse(signed, 'escaped "id" at the end');
    await g.guard.rewriteToolsList(ctx, text, undefined);
    const again = await g.guard.rewriteToolsList(ctx, text, undefined);
    expect(again).toMatchObject({ cached: false, verified: 20 });
    expect(JSON.parse(again.text).id).toBe('escaped "id" at the end');
  });

  it('re-checks pins on a hit: a pin moved by another node makes the page verify afresh', async () => {
    const t = await sign(tool('pinned'), acme, { ver: '1.0.0' });
    await g.guard.rewriteToolsList(ctx, listResponse([t], 1), undefined);
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t], 2), undefined)).cached).toBe(
      true,
    );
    const pin = (await pins.get('com.acme', 'pinned'))!;
    await pins.set({ ...pin, ver: '2.0.0', dig: 'x'.repeat(43) });
    const out = await g.guard.rewriteToolsList(ctx, listResponse([t], 3), undefined);
    expect(out).toMatchObject({ cached: false, verified: 0 });
    expect(g.logger.audit().at(-1)).toMatchObject({ tool: 'pinned', reason: 'rollback' });
  });

  it('re-checks expiry on a hit: a signature that expired since is not served from the cache', async () => {
    const t = await sign(tool('brief'), acme, { expiresIn: '1h' });
    await g.guard.rewriteToolsList(ctx, listResponse([t], 1), undefined);
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t], 2), undefined)).cached).toBe(
      true,
    );
    g.clock.advance(2 * HOUR);
    const out = await g.guard.rewriteToolsList(ctx, listResponse([t], 3), undefined);
    expect(out).toMatchObject({ cached: false, verified: 0 });
    expect(g.logger.audit().at(-1)).toMatchObject({ tool: 'brief', reason: 'expired' });
    g.clock.set(g.clock.now() - 2 * HOUR);
  });

  it('a tool not yet valid becomes valid when its time comes, not when the cache says', async () => {
    const t = await sign(tool('later'), acme, { notBefore: '1h' });
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t], 1), undefined)).verified).toBe(0);
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t], 2), undefined)).cached).toBe(
      true,
    );
    g.clock.advance(HOUR);
    expect(await g.guard.rewriteToolsList(ctx, listResponse([t], 3), undefined)).toMatchObject({
      cached: false,
      verified: 1,
    });
    g.clock.set(g.clock.now() - HOUR);
  });

  it('new trust, list_changed and another listing page all verify afresh', async () => {
    const t = await sign(tool('fresh'), acme);
    await g.guard.rewriteToolsList(ctx, listResponse([t], 1), undefined);
    g.guard.listChanged('files');
    expect((await g.guard.rewriteToolsList(ctx, listResponse([t], 2), undefined)).cached).toBe(
      false,
    );
    await writeJson(`${g.dir}/trust.jwks.json`, await trustJwks({ ...acme, status: 'revoked' }));
    await g.guard.refreshTrust();
    const out = await g.guard.rewriteToolsList(ctx, listResponse([t], 3), undefined);
    expect(out).toMatchObject({ cached: false, verified: 0 });
    await writeJson(`${g.dir}/trust.jwks.json`, await trustJwks(acme));
  });
});

describe('cache soundness: a message that differs anywhere but its id is never answered from the cache', () => {
  it('holds for random edits of a real signed list, and every answer equals a cold verification', async () => {
    const acme = await provider('com.acme');
    const pins = new MemoryPinStore();
    const jwks = await trustJwks(acme);
    const cachedGuard = await guardWith({ jwks, options: { pinStore: pins } });
    const coldGuard = await guardWith({ jwks, options: { pinStore: pins } });
    try {
      const tools: unknown[] = await Promise.all(corpusTools(6).map((t) => sign(t, acme)));
      // Adversarial content: the id's spelling inside strings and nested objects.
      tools.push(
        await sign(
          {
            ...tool('tricky', 'says "id":1} and ,"id":2'),
            inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
          },
          acme,
        ),
      );
      tools.push(tool('unsigned_one'));
      const base = listResponse(tools, 41);
      const span = locateResponseId(base)!;
      const head = base.slice(0, span.start);
      const tail = base.slice(span.end);
      await cachedGuard.guard.rewriteToolsList(ctx, base, undefined);
      const alphabet = [
        '"',
        '\\',
        ',',
        ':',
        '{',
        '}',
        '[',
        ']',
        ' ',
        '1',
        'a',
        'é',
        'i',
        'd',
        '0',
        '-',
        'e',
      ];
      const edit = fc.oneof(
        fc.record({
          kind: fc.constant('replace' as const),
          at: fc.nat(),
          char: fc.constantFrom(...alphabet),
        }),
        fc.record({
          kind: fc.constant('insert' as const),
          at: fc.nat(),
          char: fc.constantFrom(...alphabet),
        }),
        fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), char: fc.constant('') }),
        fc.record({
          kind: fc.constant('id' as const),
          at: fc.nat(),
          char: fc.oneof(
            fc.integer().map(String),
            fc.string().map((s) => JSON.stringify(s)),
            fc.constant('null'),
            fc.constant('1e999'),
          ),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
          let text = base;
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            if (e.kind === 'replace') text = text.slice(0, at) + e.char + text.slice(at + 1);
            else if (e.kind === 'insert') text = text.slice(0, at) + e.char + text.slice(at);
            else if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + 1);
            else text = head + e.char + tail;
          }
          const out = await cachedGuard.guard.rewriteToolsList(ctx, text, undefined);
          const cold = await coldGuard.guard.rewriteToolsList(ctx, text, undefined);
          coldGuard.guard.listChanged('files');
          const onlyIdDiffers =
            text.startsWith(head) &&
            text.endsWith(tail) &&
            text.length > head.length + tail.length &&
            (() => {
              const middle = text.slice(head.length, text.length - tail.length);
              try {
                const v: unknown = JSON.parse(middle);
                return (
                  middle.trim() === middle &&
                  (v === null || typeof v === 'string' || typeof v === 'number')
                );
              } catch {
                return false;
              }
            })();
          if (out.cached) expect(onlyIdDiffers).toBe(true);
          expect(out.text).toBe(cold.text);
          expect([out.verified, out.rejected]).toEqual([cold.verified, cold.rejected]);
        }),
        { numRuns: 400 },
      );
      // The property did exercise hits: a pure id change is served from the cache.
      expect(
        (await cachedGuard.guard.rewriteToolsList(ctx, `${head}7${tail}`, undefined)).cached,
      ).toBe(true);
    } finally {
      await cachedGuard.cleanup();
      await coldGuard.cleanup();
    }
  });

  it('never serves a page across upstreams: the same bytes verify per upstream', async () => {
    const acme = await provider('com.acme');
    const g = await guardWith({
      jwks: await trustJwks(acme),
      upstreams: { files: { providers: ['com.acme'] }, other: { providers: ['com.other'] } },
    });
    try {
      const text = listResponse([await sign(tool('t'), acme)]);
      expect((await g.guard.rewriteToolsList(ctx, text, undefined)).verified).toBe(1);
      const other = await g.guard.rewriteToolsList({ ...ctx, upstream: 'other' }, text, undefined);
      expect(other).toMatchObject({ cached: false, verified: 0 });
      expect(toolsOf(other.text)).toEqual([]);
    } finally {
      await g.cleanup();
    }
  });
});
