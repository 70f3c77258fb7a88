import { describe, expect, it } from 'vitest';
import {
  readSignedCopy,
  resolveEnvReferences,
  signTool,
  SignedCopyIndex,
  statedClaims,
  toolDigest,
  toolsOfDocument,
  type SchemaIssue,
  type Tool,
} from '@etdi/core';
import { provider } from './support/keys.js';

const echo: Tool = {
  name: 'echo',
  description: 'Echoes its input',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
};

describe('readSignedCopy and SignedCopyIndex (shared by the gateway and the CLI)', () => {
  it('reads the stated claims and digests the content itself, not the dig claim', async () => {
    const acme = await provider('com.acme');
    const signed = await signTool(echo, { key: acme.key, ver: '1.2.0', now: 1_700_000_000_000 });
    const read = readSignedCopy(signed, 'signed.json');
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.copy).toMatchObject({
      iss: 'com.acme',
      sub: 'echo',
      ver: '1.2.0',
      iat: 1_700_000_000,
      source: 'signed.json',
      dig: toolDigest(echo),
    });
    expect(statedClaims(signed)).toMatchObject({ iss: 'com.acme', sub: 'echo' });
  });

  it('refuses what is not a signed copy, saying why', () => {
    expect(readSignedCopy(echo, 'x')).toEqual({
      ok: false,
      error: 'is not signed (no _meta["io.etdi/signature"])',
    });
    const garbled = { ...echo, _meta: { 'io.etdi/signature': 'not.a.jws' } };
    expect(readSignedCopy(garbled, 'x')).toMatchObject({ ok: false });
    expect(statedClaims(garbled)).toBeUndefined();
  });

  it('indexes copies by content digest and knows which (iss, name) have versions', async () => {
    const acme = await provider('com.acme');
    const v1 = await signTool(echo, { key: acme.key, ver: '1.0.0' });
    const changed: Tool = { ...echo, description: 'Echoes its input, loudly' };
    const v2 = await signTool(changed, { key: acme.key, ver: '2.0.0' });
    const index = new SignedCopyIndex();
    for (const tool of [v1, v2]) {
      const read = readSignedCopy(tool, 'f');
      if (read.ok) index.add(read.copy);
    }
    expect(index.size).toBe(2);
    expect(index.byDigest(toolDigest(echo)).map((c) => c.ver)).toEqual(['1.0.0']);
    expect(index.byDigest(toolDigest(changed)).map((c) => c.ver)).toEqual(['2.0.0']);
    expect(index.byDigest(toolDigest({ ...echo, name: 'other' }))).toEqual([]);
    expect(index.hasVersions('com.acme', 'echo')).toBe(true);
    expect(index.hasVersions('com.evil', 'echo')).toBe(false);
    expect(SignedCopyIndex.empty.size).toBe(0);
  });

  it('finds the tools of each document shape etdi sign writes', () => {
    expect(toolsOfDocument([echo])).toEqual({ tools: [echo], base: '' });
    expect(toolsOfDocument({ tools: [echo] })).toEqual({ tools: [echo], base: '/tools' });
    expect(toolsOfDocument(echo)).toEqual({ tools: [echo], base: '' });
  });
});

describe('resolveEnvReferences (the services’ ${env:NAME} rule)', () => {
  it('replaces exact references at any depth and reports unset ones by pointer, never by value', () => {
    const issues: SchemaIssue[] = [];
    const out = resolveEnvReferences(
      { a: '${env:A}', list: ['x', '${env:MISSING}'], 'we/ird': { b: 'pre ${env:A}' } },
      { A: 's3cret' },
      issues,
    );
    expect(out).toEqual({
      a: 's3cret',
      list: ['x', '${env:MISSING}'],
      'we/ird': { b: 'pre ${env:A}' },
    });
    expect(issues).toEqual([
      { pointer: '/list/1', message: 'environment variable MISSING is not set' },
    ]);
    expect(JSON.stringify(issues)).not.toContain('s3cret');
  });
});
