import { beforeAll, describe, expect, it } from 'vitest';
import {
  EtdiError,
  SIGNATURE_META_KEY,
  signRevocationList,
  signTool,
  verifyRevocationList,
  verifyTool,
  type SignedTool,
  type TrustStore,
} from '@etdi/core';
import { provider, trustFor, type Provider } from './support/keys.js';
import { sampleTool } from './support/tools.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const nowSec = NOW / 1000;
const DAY = 86_400;

const claimsOf = (t: SignedTool) =>
  JSON.parse(
    Buffer.from(t._meta[SIGNATURE_META_KEY].split('.')[1]!, 'base64url').toString(),
  ) as Record<string, number>;

async function refusal(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Durations: `name` takes a string with a unit, `nameSec` a number of seconds, never both. */
describe('duration options', () => {
  let acme: Provider;
  let registry: Provider;
  let trust: TrustStore;
  beforeAll(async () => {
    acme = await provider('com.acme');
    registry = await provider('registry.example');
    trust = await trustFor([acme, registry]);
  });

  describe('of verifyTool', () => {
    it('take maxAge as a duration or maxAgeSec as seconds, alike', async () => {
      const old = await signTool(sampleTool(), {
        key: acme.key,
        ver: '1.0.0',
        now: NOW - 2 * DAY * 1000,
      });
      for (const limit of [{ maxAge: '1d' }, { maxAgeSec: DAY }]) {
        expect(await verifyTool(old, { trust, now: NOW, ...limit })).toMatchObject({
          ok: false,
          reason: 'stale',
        });
      }
      for (const limit of [{ maxAge: '3d' }, { maxAgeSec: 3 * DAY }]) {
        expect(await verifyTool(old, { trust, now: NOW, ...limit })).toMatchObject({ ok: true });
      }
    });

    it('take clockTolerance as a duration or clockToleranceSec as seconds, alike', async () => {
      const ahead = await signTool(sampleTool(), {
        key: acme.key,
        ver: '1.0.0',
        now: NOW + 120_000,
      });
      expect(await verifyTool(ahead, { trust, now: NOW })).toMatchObject({
        reason: 'not-yet-valid',
      });
      expect(await verifyTool(ahead, { trust, now: NOW, clockTolerance: '3m' })).toMatchObject({
        ok: true,
      });
      expect(await verifyTool(ahead, { trust, now: NOW, clockToleranceSec: 180 })).toMatchObject({
        ok: true,
      });
    });

    it('refuse both forms at once, a number without its unit, and a string under …Sec', async () => {
      const signed = await signTool(sampleTool(), { key: acme.key, ver: '1.0.0', now: NOW });
      const bad = [
        { maxAge: '1d', maxAgeSec: DAY },
        { clockTolerance: 60 },
        { clockToleranceSec: '60s' },
        { maxAgeSec: -1 },
      ];
      for (const options of bad) {
        const e = await refusal(() => verifyTool(signed, { trust, ...(options as object) }));
        expect(e).toBeInstanceOf(EtdiError);
        expect(e).toMatchObject({ code: 'invalid-argument' });
      }
    });

    it('still read a number under maxAge as seconds (deprecated, for etdi verify)', async () => {
      const old = await signTool(sampleTool(), {
        key: acme.key,
        ver: '1.0.0',
        now: NOW - 7200_000,
      });
      expect(await verifyTool(old, { trust, now: NOW, maxAge: 3600 })).toMatchObject({
        reason: 'stale',
      });
    });
  });

  describe('of signTool', () => {
    it('take expiresIn / expiresInSec and notBefore / notBeforeSec', async () => {
      const sign = (extra: object) =>
        signTool(sampleTool(), { key: acme.key, ver: '1.0.0', now: NOW, ...extra });
      expect(claimsOf(await sign({ expiresIn: '1d' })).exp).toBe(nowSec + DAY);
      expect(claimsOf(await sign({ expiresInSec: 90 })).exp).toBe(nowSec + 90);
      expect(claimsOf(await sign({ expiresIn: 90 })).exp).toBe(nowSec + 90); // deprecated form
      expect(claimsOf(await sign({ notBefore: '1h' })).nbf).toBe(nowSec + 3600);
      expect(claimsOf(await sign({ notBeforeSec: 30 })).nbf).toBe(nowSec + 30);
      expect(claimsOf(await sign({ notBefore: new Date(NOW + 5000) })).nbf).toBe(nowSec + 5);
      for (const bad of [
        { expiresIn: '1d', expiresInSec: 1 },
        { notBefore: new Date(NOW), notBeforeSec: 1 },
        { notBefore: 30 },
      ]) {
        expect(await refusal(() => sign(bad))).toMatchObject({ code: 'invalid-argument' });
      }
    });
  });

  describe('of revocation lists', () => {
    it('take expiresIn / expiresInSec, maxLifetime / maxLifetimeSec, clockTolerance / clockToleranceSec', async () => {
      const twoDays = await signRevocationList([], {
        key: registry.key,
        seq: 1,
        expiresInSec: 2 * DAY,
        now: NOW,
      });
      const verify = (extra: object) =>
        verifyRevocationList(twoDays, { trust, issuer: 'registry.example', now: NOW, ...extra });
      expect(await refusal(() => verify({}))).toMatchObject({ code: 'invalid-revocation-list' });
      await expect(verify({ maxLifetime: '3d' })).resolves.toMatchObject({
        expiresAt: nowSec + 2 * DAY,
      });
      await expect(verify({ maxLifetimeSec: 3 * DAY })).resolves.toMatchObject({ seq: 1 });
      const ahead = await signRevocationList([], {
        key: registry.key,
        seq: 1,
        expiresIn: '1h',
        now: NOW + 120_000,
      });
      const at = (extra: object) =>
        verifyRevocationList(ahead, { trust, issuer: 'registry.example', now: NOW, ...extra });
      expect(await refusal(() => at({}))).toMatchObject({ code: 'invalid-revocation-list' });
      await expect(at({ clockTolerance: '3m' })).resolves.toMatchObject({ seq: 1 });
      await expect(at({ clockToleranceSec: 180 })).resolves.toMatchObject({ seq: 1 });
      expect(await refusal(() => at({ clockTolerance: 180 }))).toMatchObject({
        code: 'invalid-argument',
      });
    });
  });
});
