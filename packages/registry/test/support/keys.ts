import {
  buildTrustJwks,
  generateKeyPair,
  importSigningKey,
  signTool,
  toolDigest,
  type SignedTool,
  type SigningKey,
  type TrustJwks,
} from '@etdi/core';
import { CompactSign } from 'jose';

/** A provider's signing key and its trust JWKS. */
export interface ProviderKey {
  readonly iss: string;
  readonly key: SigningKey;
  readonly jwks: TrustJwks;
  readonly kid: string;
}

export async function providerKey(
  iss: string,
  alg: 'EdDSA' | 'ES256' = 'EdDSA',
): Promise<ProviderKey> {
  const pair = await generateKeyPair(alg, { iss });
  const key = await importSigningKey(pair.privateJwk);
  return { iss, key, jwks: await buildTrustJwks([{ jwk: pair.publicJwk, iss }]), kid: pair.kid };
}

/** A small valid MCP tool. */
export function tool(name: string, description = `The ${name} tool`): Record<string, unknown> {
  return {
    name,
    description,
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  };
}

export interface SignOptions {
  readonly ver?: string;
  readonly perms?: readonly string[];
  readonly description?: string;
  readonly now?: number;
  readonly expiresIn?: number;
}

export function signed(
  pk: ProviderKey,
  name: string,
  options: SignOptions = {},
): Promise<SignedTool> {
  return signTool(tool(name, options.description) as never, {
    key: pk.key,
    ver: options.ver ?? '1.0.0',
    perms: options.perms ?? ['files:read'],
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
  });
}

/**
 * A tool signed with arbitrary claims (over the tool's real digest unless given), for the
 * claims a well-behaved signer refuses to make.
 */
export async function signedWithClaims(
  pk: ProviderKey,
  content: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const payload = {
    iss: pk.iss,
    sub: content.name,
    ver: '1.0.0',
    dig: toolDigest(content),
    perms: [],
    iat: Math.floor(Date.now() / 1000),
    ...claims,
  };
  const jws = await new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ alg: pk.key.alg, kid: pk.key.kid, typ: 'etdi-tool+jwt' })
    .sign(pk.key.privateKey);
  return { ...content, _meta: { 'io.etdi/signature': jws } };
}
