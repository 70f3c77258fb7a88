/**
 * Real keys, real signatures, real files: what every guard test builds on. Tools are signed with
 * @etdi/core in the test; the corpus is the real tool lists of four public MCP servers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildTrustJwks,
  generateKeyPair,
  importSigningKey,
  SIGNATURE_META_KEY,
  signTool,
  signedContent,
  toolDigest,
  type LogFields,
  type Logger,
  type LogLevel,
  type SignedTool,
  type SignToolOptions,
  type SigningKey,
  type Tool,
  type TrustJwkInput,
  type TrustJwks,
} from '@etdi/core';
import { CompactSign } from 'jose';

/** 2026-01-01T00:00:00Z: the tests' "now" unless a test moves the clock. */
export const T0 = Date.UTC(2026, 0, 1);

/** A clock tests move by hand: nothing in the guard waits for real time. */
export function testClock(start = T0) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

/** A provider with a fresh Ed25519 key bound to it. */
export interface Provider {
  readonly iss: string;
  readonly key: SigningKey;
  readonly publicJwk: TrustJwkInput['jwk'];
  readonly kid: string;
}

export async function provider(iss: string): Promise<Provider> {
  const pair = await generateKeyPair('EdDSA', { iss });
  return {
    iss,
    key: await importSigningKey(pair.privateJwk),
    publicJwk: pair.publicJwk,
    kid: pair.kid,
  };
}

/** A trust JWKS binding each provider's key to it (options per key: status, window). */
export function trustJwks(
  ...keys: (Provider | (Provider & Omit<TrustJwkInput, 'jwk' | 'iss'>))[]
): Promise<TrustJwks> {
  return buildTrustJwks(keys.map((k) => ({ ...k, jwk: k.publicJwk, iss: k.iss })));
}

/** Signs a tool as `etdi sign` does, at T0 unless told otherwise. */
export function sign(
  tool: Tool,
  p: Provider,
  options: Partial<SignToolOptions> = {},
): Promise<SignedTool> {
  return signTool(tool, { key: p.key, ver: '1.0.0', now: T0, ...options });
}

/**
 * A JWS with hand-made claims over the tool's real digest (for cases `signTool` refuses to make,
 * e.g. a `sub` that is not the tool's name).
 */
export async function signClaims(
  tool: Tool,
  key: SigningKey,
  claims: Record<string, unknown>,
): Promise<SignedTool> {
  const content = signedContent(tool);
  const payload = {
    iss: key.iss,
    sub: tool.name,
    ver: '1.0.0',
    dig: toolDigest(content),
    perms: [],
    iat: Math.floor(T0 / 1000),
    ...claims,
  };
  const jws = await new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'etdi-tool+jwt' })
    .sign(key.privateKey);
  return { ...content, _meta: { ...content._meta, [SIGNATURE_META_KEY]: jws } } as SignedTool;
}

/** A small valid MCP tool. */
export function tool(name: string, description = `The ${name} tool`): Tool {
  return {
    name,
    description,
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  };
}

const corpusDir = fileURLToPath(
  new URL('../../../../core/test/fixtures/mcp-tools/', import.meta.url),
);

/** The real tool lists of four public MCP servers (37 tools), by file. */
export function corpus(): { readonly server: string; readonly tools: Tool[] }[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const doc = JSON.parse(readFileSync(join(corpusDir, f), 'utf8')) as { tools: Tool[] };
      return { server: f.replace(/\.json$/, ''), tools: doc.tools };
    });
}

/** `n` distinct real tools (corpus tools, renamed past the first round). */
export function corpusTools(n?: number): Tool[] {
  const all = corpus().flatMap((c) => c.tools);
  const count = n ?? all.length;
  return Array.from({ length: count }, (_, i) => {
    const t = structuredClone(all[i % all.length]!);
    return i < all.length ? t : { ...t, name: `${t.name}_${Math.floor(i / all.length)}` };
  });
}

/**
 * A `tools/list` response as the MCP TypeScript SDK writes it (`result`, `jsonrpc`, `id`), or
 * with `idFirst` as the Python SDK does.
 */
export function listResponse(
  tools: readonly unknown[],
  id: number | string = 1,
  extra: { nextCursor?: string; idFirst?: boolean } = {},
): string {
  const result = {
    tools,
    ...(extra.nextCursor === undefined ? {} : { nextCursor: extra.nextCursor }),
  };
  return extra.idFirst
    ? JSON.stringify({ jsonrpc: '2.0', id, result })
    : JSON.stringify({ result, jsonrpc: '2.0', id });
}

/** The tools of a rewritten response. */
export function toolsOf(text: string): Record<string, unknown>[] {
  return (JSON.parse(text) as { result: { tools: Record<string, unknown>[] } }).result.tools;
}

/** A temporary directory, removed by `cleanup`. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'etdi-guard-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeJson(path: string, value: unknown): Promise<string> {
  await writeFile(path, JSON.stringify(value, null, 2));
  return path;
}

/** One captured log line. */
export interface LogLine {
  readonly level: LogLevel;
  readonly fields: LogFields;
  readonly message: string;
}

/** A logger that keeps every line, for asserting audit records. */
export function captureLogger(): Logger & { lines: LogLine[]; audit(event?: string): LogFields[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLevel) => (fields: LogFields, message: string) => {
    lines.push({ level, fields, message });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isLevelEnabled: () => true,
    audit: (event = 'tools/list') =>
      lines
        .map((l) => l.fields)
        .filter((f) => f.audit === 'etdi-tool-decision' && f.event === event && f.cached !== true),
  };
}
