/**
 * The `/mcp` naming rules: served names are `<prefix>__<tool>`, collision-free by
 * construction (configurations that could collide are refused at start-up, naming the field),
 * within the MCP tool name limit of 128 characters.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AggregateNames, MAX_EXPOSED_NAME } from '../src/aggregate/aggregate-names.js';
import { CursorSeal } from '../src/aggregate/aggregate-cursor.js';
import { parseGatewayConfig } from '../src/config/load-config.js';
import { validateGatewayConfig } from '../src/config/validate-config.js';
import { type GatewayError } from '../src/errors.js';

const base = {
  publicUrl: 'http://127.0.0.1:8080',
  auth: { providers: { edge: { type: 'proxy', clientAuthEnabled: false } } },
  trust: { jwks: ['keys/acme.jwks.json'] },
};
const url = 'http://127.0.0.1:9000/mcp';

function issuesOf(document: unknown) {
  try {
    validateGatewayConfig(document, { env: {} });
  } catch (error) {
    expect(error).toMatchObject({ code: 'invalid-config' });
    return (error as GatewayError).issues;
  }
  throw new Error('expected the configuration to be refused');
}

describe('AggregateNames', () => {
  const names = new AggregateNames(
    new Map([
      ['files', 'files'],
      ['fs', 'files_v2'],
      ['a', 'a'],
    ]),
  );

  it('prefixes and routes back to the upstream and the original name', () => {
    expect(names.expose('files', 'read_file')).toBe('files__read_file');
    expect(names.route('files__read_file')).toEqual({ upstream: 'files', name: 'read_file' });
    expect(names.route('files_v2__read')).toEqual({ upstream: 'fs', name: 'read' });
    // A tool name may itself contain the separator.
    expect(names.route('a__b__c')).toEqual({ upstream: 'a', name: 'b__c' });
    expect(names.route('nobody__x')).toBeUndefined();
    expect(names.route('files__')).toBeUndefined();
  });

  it('refuses to serve a name over the limit', () => {
    const fits = 'x'.repeat(MAX_EXPOSED_NAME - 'files__'.length);
    expect(names.expose('files', fits)).toHaveLength(MAX_EXPOSED_NAME);
    expect(names.expose('files', `${fits}y`)).toBeUndefined();
  });
});

describe('the aggregate configuration', () => {
  it('accepts prefixes, scopes, access lists and protocols', () => {
    const config = validateGatewayConfig(
      {
        ...base,
        aggregate: { access: { alice: ['files'], '*': ['files', 'notes'] } },
        upstreams: {
          files: {
            url,
            providers: ['com.acme'],
            protocol: 'stateless',
            aggregate: { prefix: 'f', scope: 'files:use' },
          },
          notes: { url, providers: ['com.acme'], protocol: 'auto' },
        },
      },
      { env: {} },
    );
    expect(AggregateNames.of(config).expose('files', 'read')).toBe('f__read');
  });

  it('refuses upstreams whose served names could collide', () => {
    const issues = issuesOf({
      ...base,
      upstreams: {
        a: { url, providers: ['com.acme'] },
        a__b: { url, providers: ['com.acme'] },
        x: { url, providers: ['com.acme'], aggregate: { prefix: 'same' } },
        y: { url, providers: ['com.acme'], aggregate: { prefix: 'same' } },
      },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          pointer: '/upstreams/a__b',
          message: expect.stringMatching(/"a" and "a__b" would share \/mcp names/),
        }),
        expect.objectContaining({
          pointer: '/upstreams/y/aggregate/prefix',
          message: expect.stringMatching(/share \/mcp names/),
        }),
      ]),
    );
  });

  it('lets a prefix resolve a collision, or an upstream stay off /mcp', () => {
    expect(() =>
      validateGatewayConfig(
        {
          ...base,
          upstreams: {
            a: { url, providers: ['com.acme'] },
            a__b: { url, providers: ['com.acme'], aggregate: { prefix: 'ab' } },
            c: { url, providers: ['com.acme'], aggregate: { include: false, prefix: 'a' } },
          },
        },
        { env: {} },
      ),
    ).not.toThrow();
  });

  it('refuses a prefix over 64 characters, so at least 62 are left for the tool name', () => {
    const issues = issuesOf({
      ...base,
      upstreams: { files: { url, providers: ['com.acme'], aggregate: { prefix: 'p'.repeat(65) } } },
    });
    expect(issues.map((i) => i.pointer)).toEqual(['/upstreams/files/aggregate/prefix']);
  });

  it('refuses an access list naming an upstream that does not exist', () => {
    const issues = issuesOf({
      ...base,
      aggregate: { access: { alice: ['files', 'nope'] } },
      upstreams: { files: { url, providers: ['com.acme'] } },
    });
    expect(issues).toEqual([
      { pointer: '/aggregate/access/alice/1', message: 'no upstream is named "nope"' },
    ]);
  });

  it('refuses a protocol it does not know', () => {
    const issues = issuesOf({
      ...base,
      upstreams: { files: { url, providers: ['com.acme'], protocol: 'websocket' } },
    });
    expect(new Set(issues.map((i) => i.pointer))).toEqual(new Set(['/upstreams/files/protocol']));
  });
});

describe('the /mcp cursor', () => {
  it('round-trips for its method and principal only, and cannot be made without the key', () => {
    const seal = new CursorSeal();
    const cursor = seal.encode('tools/list', 'L1', { notes: '2', files: 'abc' }, 'alice');
    expect(seal.decode(cursor, 'tools/list', 'alice')).toEqual({
      listing: 'L1',
      pending: { notes: '2', files: 'abc' },
    });
    expect(seal.decode(cursor, 'prompts/list', 'alice')).toBeUndefined();
    expect(seal.decode(cursor, 'tools/list', 'bob')).toBeUndefined();
    expect(seal.decode('not a cursor', 'tools/list', 'alice')).toBeUndefined();
    const unsigned = Buffer.from(
      JSON.stringify({ m: 'tools/list', l: 'L1', p: { notes: '0' } }),
    ).toString('base64url');
    expect(seal.decode(unsigned, 'tools/list', 'alice')).toBeUndefined();
    expect(
      seal.decode(`${unsigned}.${cursor.split('.')[1]}`, 'tools/list', 'alice'),
    ).toBeUndefined();
    // Another node: its own random key refuses the cursor; a shared configured key accepts it.
    expect(new CursorSeal().decode(cursor, 'tools/list', 'alice')).toBeUndefined();
    const secret = 'x'.repeat(32);
    const shared = new CursorSeal(secret).encode('tools/list', 'L2', { notes: '2' }, 'alice');
    expect(new CursorSeal(secret).decode(shared, 'tools/list', 'alice')?.pending).toEqual({
      notes: '2',
    });
  });
});

describe('docs/gateway.md', () => {
  it('loads the copy-paste /mcp example and routes its names', () => {
    const doc = readFileSync(
      fileURLToPath(new URL('../../../docs/gateway.md', import.meta.url)),
      'utf8',
    );
    const match = /<!-- gateway-config: aggregate-yaml -->\s*```yaml\n([\s\S]*?)```/.exec(doc);
    expect(match).not.toBeNull();
    const config = parseGatewayConfig(match![1]!, 'yaml', {
      env: { ETDI_API_KEY_PEPPER: 'pepper-pepper-pepper' },
    });
    const names = AggregateNames.of(config);
    expect(names.route('tk__create_ticket')).toEqual({
      upstream: 'tickets',
      name: 'create_ticket',
    });
    expect(names.route('internal__x')).toBeUndefined();
    expect(config.document.aggregate?.access).toEqual({
      ci: ['files', 'tickets', 'internal'],
      '*': ['files'],
    });
  });
});
