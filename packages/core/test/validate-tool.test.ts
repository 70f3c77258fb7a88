import { describe, expect, it } from 'vitest';
import { canonicalize, validateTool, type Tool } from '@etdi/core';
import { loadCorpus } from './support/corpus.js';
import { errorOf } from './support/errors.js';
import { clone, sampleTool } from './support/tools.js';

describe('validateTool', () => {
  describe('when the tool is a real MCP tool', () => {
    it.each(loadCorpus().map((e) => [`${e.server} ${e.tool.name}`, e.tool] as const))(
      'accepts %s (compiling its schemas)',
      (_label, tool) => {
        const { canonical, size } = validateTool(tool, { schemaCheck: 'compile' });
        expect(canonical).toBe(canonicalize(tool));
        expect(size).toBe(Buffer.byteLength(canonical));
      },
    );

    it('accepts a draft 2020-12 schema (the MCP default when $schema is absent)', () => {
      const tool = sampleTool({
        inputSchema: {
          type: 'object',
          properties: { tags: { type: 'array', prefixItems: [{ type: 'string' }] } },
          $defs: { x: { type: 'string' } },
        },
      });
      expect(() => validateTool(tool, { schemaCheck: 'compile' })).not.toThrow();
    });

    it('accepts unknown top-level members and keeps them covered', () => {
      const tool = { ...sampleTool(), futureMember: { a: 1 } };
      expect(validateTool(tool).canonical).toContain('"futureMember":{"a":1}');
    });
  });

  describe('when the structure is not a tool', () => {
    it.each([
      ['null', null],
      ['an array', [sampleTool()]],
      ['a string', 'read_file'],
    ])('rejects %s as malformed', (_l, value) => {
      expect(errorOf(() => validateTool(value))).toMatchObject({ code: 'malformed', pointer: '' });
    });

    it('rejects a signature that is not a string as malformed', () => {
      const tool = sampleTool({ _meta: { 'io.etdi/signature': { alg: 'none' } } });
      expect(errorOf(() => validateTool(tool))).toMatchObject({
        code: 'malformed',
        pointer: '/_meta/io.etdi~1signature',
      });
    });

    it('rejects content JCS cannot represent as malformed, naming the pointer', () => {
      const tool = sampleTool({ description: 'bad \ud800 surrogate' });
      expect(errorOf(() => validateTool(tool))).toMatchObject({
        code: 'malformed',
        pointer: '/description',
      });
    });
  });

  describe('when the tool breaks the MCP schema', () => {
    const cases: [string, (t: Tool & Record<string, unknown>) => void, string][] = [
      ['no name', (t) => delete (t as Partial<Tool>).name, '/name'],
      ['a numeric name', (t) => (t.name = 42 as never), '/name'],
      ['no inputSchema', (t) => delete (t as Partial<Tool>).inputSchema, '/inputSchema'],
      [
        'an inputSchema that is not type object',
        (t) => (t.inputSchema.type = 'string' as never),
        '/inputSchema/type',
      ],
      [
        'a description that is not a string',
        (t) => (t.description = ['x'] as never),
        '/description',
      ],
      [
        'a non-boolean annotation hint',
        (t) => (t.annotations = { readOnlyHint: 'yes' as never }),
        '/annotations/readOnlyHint',
      ],
      [
        'an icon without src',
        (t) => (t.icons = [{ mimeType: 'image/png' } as never]),
        '/icons/0/src',
      ],
      [
        'an unknown taskSupport',
        (t) => (t.execution = { taskSupport: 'sometimes' as never }),
        '/execution/taskSupport',
      ],
      ['_meta that is not an object', (t) => (t._meta = 'x' as never), '/_meta'],
      [
        'required that is not a string array',
        (t) => (t.inputSchema.required = [1] as never),
        '/inputSchema/required/0',
      ],
    ];
    for (const [what, mutate, pointer] of cases) {
      it(`rejects ${what} as schema-invalid at ${pointer}`, () => {
        const tool = clone(sampleTool()) as Tool & Record<string, unknown>;
        mutate(tool);
        expect(errorOf(() => validateTool(tool))).toMatchObject({
          code: 'schema-invalid',
          pointer,
        });
      });
    }

    it('rejects a name outside the MCP pattern, and honours a configured pattern', () => {
      expect(errorOf(() => validateTool(sampleTool({ name: 'read file' })))).toMatchObject({
        code: 'schema-invalid',
        pointer: '/name',
      });
      expect(errorOf(() => validateTool(sampleTool({ name: 'x'.repeat(129) })))).toMatchObject({
        code: 'schema-invalid',
      });
      expect(() => validateTool(sampleTool({ name: 'x'.repeat(128) }))).not.toThrow();
      expect(() =>
        validateTool(sampleTool({ name: 'ns/tool' }), { namePattern: /^[a-z/]+$/ }),
      ).not.toThrow();
    });
  });

  describe('when inputSchema or outputSchema is not valid JSON Schema', () => {
    it('rejects a keyword of the wrong type, naming the pointer inside the schema', () => {
      const tool = sampleTool();
      (tool.inputSchema.properties as Record<string, unknown>).head = { type: 5 };
      const e = errorOf(() => validateTool(tool));
      expect(e.code).toBe('schema-invalid');
      expect(e.pointer).toMatch(/^\/inputSchema\/properties\/head\/type/);
    });

    it('rejects an invalid outputSchema', () => {
      const tool = sampleTool({
        outputSchema: { type: 'object', properties: { n: { minimum: 'zero' } } },
      });
      expect(errorOf(() => validateTool(tool))).toMatchObject({ code: 'schema-invalid' });
      expect(errorOf(() => validateTool(tool)).pointer).toMatch(
        /^\/outputSchema\/properties\/n\/minimum/,
      );
    });

    it('rejects an unsupported $schema dialect', () => {
      const tool = sampleTool();
      tool.inputSchema.$schema = 'http://json-schema.org/draft-04/schema#';
      expect(errorOf(() => validateTool(tool))).toMatchObject({
        code: 'schema-invalid',
        pointer: '/inputSchema/$schema',
      });
    });

    it('rejects a schema that only fails to compile (unresolvable $ref) when compiling', () => {
      const tool = sampleTool({
        inputSchema: { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } },
      });
      expect(() => validateTool(tool)).not.toThrow();
      expect(errorOf(() => validateTool(tool, { schemaCheck: 'compile' }))).toMatchObject({
        code: 'schema-invalid',
        pointer: '/inputSchema',
      });
    });

    it('compiles schemas with the same $id one after another without collisions', () => {
      const withId = () =>
        sampleTool({
          inputSchema: { type: 'object', $id: 'https://example.com/s', properties: {} },
        });
      expect(() => validateTool(withId(), { schemaCheck: 'compile' })).not.toThrow();
      expect(() => validateTool(withId(), { schemaCheck: 'compile' })).not.toThrow();
    });
  });

  describe('limits', () => {
    /** A tool whose canonical form is exactly `bytes` long. */
    function toolOfSize(bytes: number): Tool {
      const base = sampleTool({ description: '' });
      const overhead = Buffer.byteLength(canonicalize(base));
      return { ...base, description: 'd'.repeat(bytes - overhead) };
    }

    it('accepts a definition of exactly maxBytes and rejects one byte more', () => {
      const limit = 4096;
      expect(validateTool(toolOfSize(limit), { maxBytes: limit }).size).toBe(limit);
      const e = errorOf(() => validateTool(toolOfSize(limit + 1), { maxBytes: limit }));
      expect(e).toMatchObject({ code: 'malformed' });
      expect(e.message).toContain(`${limit + 1} bytes`);
    });

    it('counts UTF-8 bytes, not characters', () => {
      const base = toolOfSize(1000);
      const multibyte = { ...base, description: `${base.description!.slice(2)}é` }; // 2 bytes
      expect(validateTool(multibyte, { maxBytes: 1000 }).size).toBe(1000 - 2 + 2 - 1 + 1);
    });

    it('applies the default 256 KiB limit', () => {
      expect(() => validateTool(toolOfSize(256 * 1024))).not.toThrow();
      expect(errorOf(() => validateTool(toolOfSize(256 * 1024 + 1)))).toMatchObject({
        code: 'malformed',
      });
    });

    /** A tool whose deepest container is at exactly `depth` (the tool itself is depth 1). */
    function toolOfDepth(depth: number): Tool {
      // tool(1) > inputSchema(2) > properties(3) > p(4) > properties(5) > p(6) ...; an odd
      // remainder is one more container inside the innermost schema (`default: {}`).
      const odd = (depth - 4) % 2 === 1;
      let schema: Record<string, unknown> = odd
        ? { type: 'object', default: {} }
        : { type: 'object' };
      let d = odd ? 5 : 4;
      while (d + 2 <= depth) {
        schema = { type: 'object', properties: { p: schema } };
        d += 2;
      }
      const tool = sampleTool({
        inputSchema: { type: 'object', properties: { p: schema } },
        annotations: {},
        _meta: {},
      });
      return tool;
    }

    it('accepts nesting at the depth limit and rejects one level deeper', () => {
      for (const limit of [10, 11, 64]) {
        expect(() => validateTool(toolOfDepth(limit), { maxDepth: limit })).not.toThrow();
        expect(
          errorOf(() => validateTool(toolOfDepth(limit + 1), { maxDepth: limit })),
        ).toMatchObject({
          code: 'malformed',
        });
      }
    });

    it('never overflows the stack on absurd nesting', () => {
      let deep: Record<string, unknown> = { type: 'object' };
      for (let i = 0; i < 50_000; i++) deep = { type: 'object', properties: { p: deep } };
      expect(errorOf(() => validateTool(sampleTool({ inputSchema: deep as never })))).toMatchObject(
        {
          code: 'malformed',
        },
      );
    });
  });
});
