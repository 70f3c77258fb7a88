/**
 * Which MCP era a request is of, and the 2026-07-28 standard-header rules, on the SDK's own
 * classifier: header/body disagreements are -32020 on HTTP 400, names HTTP cannot carry travel
 * as `=?base64?…?=` both ways.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyDownstream,
  mayBeModern,
  modernRequestHeaders,
  withEnvelope,
  withoutEnvelope,
} from '../src/stateless/era.js';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};
const call = (name: string) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name, arguments: {}, _meta: META },
});

describe('classifyDownstream', () => {
  it('reads a 2025 request as session-era, and 2026-07-28 with matching headers as modern', () => {
    expect(classifyDownstream('POST', {}, { jsonrpc: '2.0', id: 1, method: 'tools/list' })).toEqual(
      { era: 'legacy' },
    );
    expect(classifyDownstream('GET', {}, undefined)).toEqual({ era: 'legacy' });
    const headers = {
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'read',
    };
    expect(classifyDownstream('POST', headers, call('read'))).toEqual({
      era: 'modern',
      version: '2026-07-28',
      notification: false,
    });
  });

  it('carries a name HTTP cannot carry as a base64 sentinel, and checks it decoded', () => {
    const name = 'lire_fichier_é';
    const headers = modernRequestHeaders({ method: 'tools/call', params: { name } });
    expect(headers['mcp-name']).toBe(`=?base64?${Buffer.from(name).toString('base64')}?=`);
    expect(classifyDownstream('POST', headers, call(name))).toMatchObject({ era: 'modern' });
    expect(classifyDownstream('POST', headers, call('other'))).toMatchObject({
      era: 'refused',
      refusal: { status: 400, code: -32020 },
    });
    expect(
      modernRequestHeaders({ method: 'tools/call', params: { name: 'read' } })['mcp-name'],
    ).toBe('read');
  });

  it('refuses an initialize sent with a modern header, and an envelope without its header', () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'x', version: '1' },
      },
    };
    expect(
      classifyDownstream('POST', { 'mcp-protocol-version': '2026-07-28' }, initialize),
    ).toMatchObject({
      era: 'refused',
      refusal: { status: 400, code: -32020 },
    });
    expect(
      classifyDownstream('POST', { 'mcp-method': 'tools/call', 'mcp-name': 'read' }, call('read')),
    ).toMatchObject({
      era: 'refused',
      refusal: {
        status: 400,
        code: -32020,
        message: expect.stringMatching(/MCP-Protocol-Version/),
      },
    });
  });
});

describe('the envelope', () => {
  it('is added for a stateless upstream and taken off for a session-based one, other _meta kept', () => {
    const params = { name: 'read', _meta: { progressToken: 7 } };
    const enveloped = withEnvelope(params, { name: 'etdi-gateway', version: '0.1.0' });
    expect(enveloped._meta).toMatchObject({ progressToken: 7, ...META });
    expect(withoutEnvelope(enveloped)).toEqual(params);
    expect(withoutEnvelope({ _meta: META })).toEqual({});
  });

  it('is looked for only where it can be', () => {
    expect(mayBeModern({}, Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'))).toBe(
      false,
    );
    expect(mayBeModern({ 'mcp-protocol-version': '2025-11-25' }, undefined)).toBe(false);
    expect(mayBeModern({ 'mcp-protocol-version': '2026-07-28' }, undefined)).toBe(true);
    expect(mayBeModern({}, Buffer.from(JSON.stringify(call('x'))))).toBe(true);
    // An escape could spell the key: looked at closely.
    expect(mayBeModern({}, Buffer.from('{"params":{"\\u005fmeta":{}}}'))).toBe(true);
  });
});
