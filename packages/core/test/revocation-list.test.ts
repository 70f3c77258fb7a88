import { beforeAll, describe, expect, it } from 'vitest';
import { signRevocationList, verifyRevocationList, type TrustStore } from '@etdi/core';
import { b64json, craftJws, provider, trustFor, type Provider } from './support/keys.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const at = '2026-05-01T00:00:00Z';

describe('revocation list', () => {
  let registry: Provider;
  let acme: Provider;
  let trust: TrustStore;
  beforeAll(async () => {
    registry = await provider('registry.example');
    acme = await provider('com.acme');
    trust = await trustFor([registry, acme]);
  });
  const verify = (jws: string, extra = {}) =>
    verifyRevocationList(jws, { trust, issuer: 'registry.example', now: NOW, ...extra });

  it('round trips and finds entries by kid, digest, tool and version', async () => {
    const jws = await signRevocationList(
      [
        { kid: 'K1', revokedAt: at },
        { dig: 'D'.repeat(43), revokedAt: at },
        { iss: 'com.acme', sub: 'a', revokedAt: at },
        { iss: 'com.acme', sub: 'b', ver: '2.0.0', revokedAt: at, reason: 'bug' },
      ],
      { key: registry.key, seq: 4, now: NOW },
    );
    const list = await verify(jws);
    expect(list).toMatchObject({
      issuer: 'registry.example',
      seq: 4,
      issuedAt: NOW / 1000,
      expiresAt: NOW / 1000 + 3600,
    });
    const s = { iss: 'com.acme', sub: 'x', ver: '1.0.0', dig: 'z'.repeat(43), kid: 'K0' };
    expect(list.find(s)).toBeUndefined();
    expect(list.find({ ...s, kid: 'K1' })).toMatchObject({ kid: 'K1' });
    expect(list.find({ ...s, dig: 'D'.repeat(43) })).toBeDefined();
    expect(list.find({ ...s, sub: 'a' })).toBeDefined();
    expect(list.find({ ...s, iss: 'com.other', sub: 'a' })).toBeUndefined();
    expect(list.find({ ...s, sub: 'b', ver: '2.0.0' })).toMatchObject({ reason: 'bug' });
    expect(list.find({ ...s, sub: 'b', ver: '2.0.1' })).toBeUndefined();
  });

  it('never lets a narrower entry hide a broader one that shares its kid or digest', async () => {
    const dig = 'D'.repeat(43);
    const jws = await signRevocationList(
      [
        { kid: 'K1', revokedAt: at, reason: 'key leaked' },
        { kid: 'K1', iss: 'com.other', revokedAt: at },
        { dig, revokedAt: at, reason: 'bad content' },
        { dig, iss: 'com.other', revokedAt: at },
      ],
      { key: registry.key, seq: 1, now: NOW },
    );
    const list = await verify(jws);
    const s = { iss: 'com.acme', sub: 'x', ver: '1.0.0', dig: 'z'.repeat(43), kid: 'K1' };
    expect(list.find(s)).toMatchObject({ reason: 'key leaked' });
    expect(list.find({ ...s, kid: 'K0', dig })).toMatchObject({ reason: 'bad content' });
  });

  describe('when the list cannot be trusted', () => {
    it('refuses a list issued in the future, or living longer than maxLifetime', async () => {
      const future = await signRevocationList([], {
        key: registry.key,
        seq: 1,
        now: NOW + 3_600_000,
      });
      await expect(verify(future)).rejects.toThrowError(/in the future/);
      const long = await signRevocationList([], {
        key: registry.key,
        seq: 1,
        expiresIn: '2d',
        now: NOW,
      });
      await expect(verify(long)).rejects.toThrowError(/longer than/);
      await expect(verify(long, { maxLifetime: '3d' })).resolves.toMatchObject({ seq: 1 });
    });

    it("refuses a list issued outside its key's validity window, whatever the key's status", async () => {
      const jws = await signRevocationList([], { key: registry.key, seq: 1, now: NOW });
      const later = await trustFor([registry], { notBefore: new Date(NOW + 1000) });
      const ended = await trustFor([registry], { notAfter: new Date(NOW - 1000) });
      for (const t of [later, ended]) {
        await expect(
          verifyRevocationList(jws, { trust: t, issuer: 'registry.example', now: NOW }),
        ).rejects.toMatchObject({ code: 'invalid-revocation-list' });
      }
    });

    it('refuses a list signed by a provider key instead of the registry key', async () => {
      const jws = await signRevocationList([], {
        key: acme.key,
        issuer: 'com.acme',
        seq: 1,
        now: NOW,
      });
      await expect(verify(jws)).rejects.toMatchObject({ code: 'invalid-revocation-list' });
    });

    it('refuses a list whose claims were changed after signing', async () => {
      const jws = await signRevocationList([{ kid: 'K1', revokedAt: at }], {
        key: registry.key,
        seq: 1,
        now: NOW,
      });
      const [h, , s] = jws.split('.');
      const emptied = b64json({
        iss: 'registry.example',
        seq: 1,
        iat: NOW / 1000,
        exp: NOW / 1000 + 3600,
        entries: [],
      });
      await expect(verify(`${h}.${emptied}.${s}`)).rejects.toMatchObject({
        code: 'invalid-revocation-list',
      });
    });

    it('refuses an expired list (fail closed) unless allowExpired', async () => {
      const jws = await signRevocationList([], {
        key: registry.key,
        seq: 1,
        expiresIn: '60s',
        now: NOW - 120_000,
      });
      await expect(verify(jws)).rejects.toThrowError(/expired/);
      await expect(verify(jws, { allowExpired: true })).resolves.toMatchObject({ seq: 1 });
    });

    it('refuses a rollback to a lower seq than the list held', async () => {
      const current = await verify(
        await signRevocationList([], { key: registry.key, seq: 9, now: NOW }),
      );
      const older = await signRevocationList([], { key: registry.key, seq: 8, now: NOW });
      await expect(verify(older, { current })).rejects.toThrowError(/rollback/);
    });

    it('refuses a wrong typ, an unknown key, garbage, and bad entries', async () => {
      const wrongTyp = await craftJws(
        { alg: 'EdDSA', kid: registry.key.kid, typ: 'JWT' },
        { iss: 'registry.example', seq: 1, iat: NOW / 1000, exp: NOW / 1000 + 60, entries: [] },
        registry.key,
      );
      const stranger = await provider('registry.example', 'EdDSA', 3);
      const unknown = await signRevocationList([], { key: stranger.key, seq: 1, now: NOW });
      const badEntry = await craftJws(
        { alg: 'EdDSA', kid: registry.key.kid, typ: 'etdi-revocations+jwt' },
        {
          iss: 'registry.example',
          seq: 1,
          iat: NOW / 1000,
          exp: NOW / 1000 + 60,
          entries: [{ reason: 'x', revokedAt: at }],
        },
        registry.key,
      );
      for (const jws of [wrongTyp, unknown, 'garbage', badEntry]) {
        await expect(verify(jws)).rejects.toMatchObject({ code: 'invalid-revocation-list' });
      }
    });
  });
});
