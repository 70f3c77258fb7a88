import { beforeAll, describe, expect, it } from 'vitest';
import type { Static } from 'typebox';
import {
  buildTrustJwks,
  checkToolSchema,
  createAjv,
  EtdiError,
  generateKeyPair,
  McpToolSchema,
  schemaIssues,
  signTool,
  SignedToolSchema,
  TrustJwkSchema,
  TrustJwksSchema,
  TrustStore,
  type SignedTool,
  type Tool,
  type PublicJwk,
} from '@etdi/core';
import { loadCorpus } from './support/corpus.js';
import { provider } from './support/keys.js';
import { sampleTool } from './support/tools.js';

// The schemas' static types and core's types describe the same documents (checked by tsc).
const toolFromSchema = (t: Static<typeof McpToolSchema>): Tool => t;
const schemaFromTool = (t: Tool): Static<typeof McpToolSchema> => t;
const signedFromSchema = (t: Static<typeof SignedToolSchema>): SignedTool => t;
const jwkFromSchema = (k: Static<typeof TrustJwkSchema>): PublicJwk => k;

const schemas = { McpToolSchema, SignedToolSchema, TrustJwksSchema, TrustJwkSchema };

describe('exported JSON Schemas', () => {
  describe('as route schemas', () => {
    for (const [name, schema] of Object.entries(schemas)) {
      it(`${name} compiles with createAjv() in strict mode, with no $id or $ref to clash`, () => {
        expect(() => createAjv().compile(schema)).not.toThrow();
        const text = JSON.stringify(schema);
        expect(text).not.toContain('"$id"');
        expect(text).not.toContain('"$ref"');
      });
    }

    it('can be embedded in several route schemas of one ajv instance', () => {
      const ajv = createAjv();
      const publish = ajv.compile({
        type: 'object',
        required: ['tools'],
        properties: { tools: { type: 'array', items: SignedToolSchema } },
      });
      const scan = ajv.compile({
        type: 'object',
        required: ['tools', 'keys'],
        properties: { tools: { type: 'array', items: McpToolSchema }, keys: TrustJwksSchema },
      });
      expect(publish({ tools: [] })).toBe(true);
      expect(scan({ tools: [sampleTool()], keys: { keys: [] } })).toBe(true);
      expect(scan({ tools: [{ name: 'x' }], keys: { keys: [] } })).toBe(false);
      expect(schemaIssues(scan.errors, '/body')).toEqual([
        { pointer: '/body/tools/0/inputSchema', message: 'missing required key "inputSchema"' },
      ]);
    });
  });

  describe('McpToolSchema and SignedToolSchema', () => {
    let signed: SignedTool[];
    beforeAll(async () => {
      const acme = await provider('com.acme');
      signed = [];
      for (const { tool } of loadCorpus())
        signed.push(await signTool(tool, { key: acme.key, ver: '1.0.0' }));
    });

    it('accept every tool of the real corpus, signed and unsigned', () => {
      const tool = createAjv().compile(McpToolSchema);
      const signedTool = createAjv().compile(SignedToolSchema);
      for (const { tool: t } of loadCorpus()) {
        expect(tool(t)).toBe(true);
        expect(signedTool(t)).toBe(false);
      }
      for (const t of signed) expect(signedTool(t)).toBe(true);
    });

    it('name the pointer of what a signed tool lacks', () => {
      const validate = createAjv().compile(SignedToolSchema);
      expect(validate({ ...sampleTool(), _meta: { 'io.etdi/signature': 5 } })).toBe(false);
      expect(schemaIssues(validate.errors)).toEqual([
        { pointer: '/_meta/io.etdi~1signature', message: 'must be string' },
      ]);
    });

    it('are the verifier’s own schema: it rejects exactly what the schema rejects', () => {
      const validate = createAjv().compile(McpToolSchema);
      const cases: unknown[] = [
        sampleTool(),
        sampleTool({ inputSchema: { type: 'array' } as never }),
        sampleTool({ inputSchema: {} as never }),
        sampleTool({ title: 5 as never }),
        sampleTool({ annotations: { readOnlyHint: 'yes' } as never }),
        sampleTool({ icons: [{ src: '' }] }),
        sampleTool({ icons: [{ src: 'a.png', theme: 'blue' as never }] }),
        sampleTool({ execution: { taskSupport: 'sometimes' as never } }),
        sampleTool({ _meta: [] as never }),
        sampleTool({ outputSchema: { type: 'object', required: [1] } as never }),
        { ...sampleTool(), extra: { anything: true } },
        { inputSchema: { type: 'object' } },
      ];
      for (const c of cases) {
        let verifierAccepts = true;
        try {
          checkToolSchema(c);
        } catch (e) {
          expect(e).toMatchObject({ code: 'schema-invalid' });
          verifierAccepts = false;
        }
        expect({ tool: c, accepted: validate(c) }).toEqual({ tool: c, accepted: verifierAccepts });
      }
    });
  });

  describe('TrustJwksSchema', () => {
    it('accepts what buildTrustJwks writes and what a TrustStore gives back', async () => {
      const a = await generateKeyPair('EdDSA');
      const jwks = await buildTrustJwks([
        {
          jwk: a.publicJwk,
          iss: 'com.acme',
          status: 'retired',
          notBefore: new Date('2025-01-01T00:00:00Z'),
          notAfter: new Date('2026-01-01T00:00:00Z'),
        },
      ]);
      const validate = createAjv().compile(TrustJwksSchema);
      expect(validate(jwks)).toBe(true);
      expect(validate((await TrustStore.fromJwks(jwks)).toJwks())).toBe(true);
    });

    it('is what the TrustStore validates with: the same pointer either way', async () => {
      const a = await generateKeyPair('EdDSA');
      const bad = { keys: [{ ...a.publicJwk, iss: 'com.acme', notAfter: '2026-01-01' }] };
      const validate = createAjv().compile(TrustJwksSchema);
      expect(validate(bad)).toBe(false);
      expect(schemaIssues(validate.errors).map((i) => i.pointer)).toEqual(['/keys/0/notAfter']);
      const error = await TrustStore.fromJwks(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EtdiError);
      expect(error).toMatchObject({ code: 'invalid-jwks', pointer: '/keys/0/notAfter' });
    });
  });
});

// Keep the compile-time checks above referenced.
void [toolFromSchema, schemaFromTool, signedFromSchema, jwkFromSchema];
