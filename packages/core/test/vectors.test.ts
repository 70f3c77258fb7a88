import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalize, signedContent, TrustStore, verifyTool } from '@etdi/core';
import { buildVectors, type VectorFile } from './support/build-vectors.js';

const file = fileURLToPath(new URL('../../../docs/vectors/v1.json', import.meta.url));
const checkedIn = JSON.parse(readFileSync(file, 'utf8')) as VectorFile;

describe('wire format v1 vectors (docs/vectors/v1.json)', () => {
  it('match what the implementation produces today, byte for byte', async () => {
    // If this fails after an intended change to the wire format, the format changed: bump the
    // version, document it in docs/wire-format.md, then run `pnpm --filter @etdi/core vectors`.
    expect(JSON.parse(JSON.stringify(await buildVectors()))).toEqual(checkedIn);
  });

  describe('signing vectors, checked from first principles', () => {
    for (const v of checkedIn.signing) {
      it(`${v.name}: canonical form, digest, signing input and Ed25519 signature agree`, () => {
        expect(canonicalize(signedContent(v.tool))).toBe(v.canonical);
        const sha = createHash('sha256').update(Buffer.from(v.canonical, 'utf8'));
        expect(sha.copy().digest('base64url')).toBe(v.digest);
        expect(sha.digest('hex')).toBe(v.digestHex);
        expect(v.claims.dig).toBe(v.digest);
        const [h, p, s] = v.jws.split('.') as [string, string, string];
        expect(`${h}.${p}`).toBe(v.signingInput);
        expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual(v.header);
        const key = createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: checkedIn.keys.provider.x },
          format: 'jwk',
        });
        expect(
          cryptoVerify(
            null,
            Buffer.from(v.signingInput, 'ascii'),
            key,
            Buffer.from(s, 'base64url'),
          ),
        ).toBe(true);
      });
    }
  });

  describe('verification cases', () => {
    for (const c of checkedIn.verification) {
      it(`${c.name} → ${c.expect}`, async () => {
        const trust = await TrustStore.fromJwks(checkedIn.trust);
        const r = await verifyTool(c.tool, {
          trust,
          now: checkedIn.now * 1000,
          clockToleranceSec: 60,
          // The vector file gives maxAge in seconds.
          ...(c.options?.maxAge === undefined ? {} : { maxAgeSec: c.options.maxAge }),
        });
        expect(r.ok ? 'ok' : r.reason).toBe(c.expect);
      });
    }
  });
});
