import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { pinKey, type Pin, type PinStore } from '../pins/pin-store.js';

export interface PinStoreContractOptions {
  /** A fresh, empty store for each test (give each its own namespace or key prefix). */
  create: () => PinStore | Promise<PinStore>;
  /** Releases what `create` made (connections, temporary files). */
  cleanup?: () => void | Promise<void>;
  /**
   * A second store over the same backing data, for implementations shared by several nodes
   * (Redis, SQL). Omit for stores that live in one process.
   */
  createPeer?: (first: PinStore) => PinStore | Promise<PinStore>;
}

const pin = (over: Partial<Pin> = {}): Pin => ({
  iss: 'com.acme',
  sub: 'read_file',
  ver: '1.0.0',
  dig: 'x'.repeat(43),
  perms: ['files:read'],
  approvedAt: '2026-01-01T00:00:00.000Z',
  kid: 'kid-1',
  ...over,
});

/**
 * The contract every {@link PinStore} implementation passes: memory, Redis and SQL stores run
 * the same suite.
 *
 * @example
 * pinStoreContract('MemoryPinStore', { create: () => new MemoryPinStore() });
 */
export function pinStoreContract(name: string, options: PinStoreContractOptions): void {
  describe(`PinStore contract: ${name}`, () => {
    let store: PinStore;
    beforeEach(async () => {
      store = await options.create();
    });
    afterAll(async () => {
      await options.cleanup?.();
    });

    it('returns undefined for a tool never pinned', async () => {
      expect(await store.get('com.acme', 'nothing')).toBeUndefined();
    });

    it('stores and returns a pin with every member intact', async () => {
      const p = pin({ perms: ['a', 'b:c'], kid: 'k' });
      await store.set(p);
      expect(await store.get('com.acme', 'read_file')).toEqual(p);
    });

    it('keeps tools of different providers and names apart', async () => {
      await store.set(pin({ iss: 'com.acme', sub: 't', ver: '1.0.0' }));
      await store.set(pin({ iss: 'com.evil', sub: 't', ver: '9.0.0' }));
      await store.set(pin({ iss: 'com.acme', sub: 'u', ver: '2.0.0' }));
      expect((await store.get('com.acme', 't'))?.ver).toBe('1.0.0');
      expect((await store.get('com.evil', 't'))?.ver).toBe('9.0.0');
      expect((await store.get('com.acme', 'u'))?.ver).toBe('2.0.0');
    });

    it('does not confuse ids that only differ in where a separator would be', async () => {
      await store.set(pin({ iss: 'a:b', sub: 'c', ver: '1.0.0' }));
      await store.set(pin({ iss: 'a', sub: 'b:c', ver: '2.0.0' }));
      expect((await store.get('a:b', 'c'))?.ver).toBe('1.0.0');
      expect((await store.get('a', 'b:c'))?.ver).toBe('2.0.0');
    });

    it('getMany returns the pins of many tools at once, keyed by pinKey, only those pinned', async () => {
      await store.set(pin({ iss: 'com.acme', sub: 'a', ver: '1.0.0' }));
      await store.set(pin({ iss: 'com.acme', sub: 'b', ver: '2.0.0' }));
      await store.set(pin({ iss: 'a:b', sub: 'c', ver: '3.0.0' }));
      const found = await store.getMany([
        { iss: 'com.acme', sub: 'a' },
        { iss: 'com.acme', sub: 'missing' },
        { iss: 'com.acme', sub: 'b' },
        { iss: 'a', sub: 'b:c' },
        { iss: 'a:b', sub: 'c' },
      ]);
      expect([...found.keys()].sort()).toEqual(
        [pinKey('com.acme', 'a'), pinKey('com.acme', 'b'), pinKey('a:b', 'c')].sort(),
      );
      expect(found.get(pinKey('com.acme', 'a'))).toEqual(pin({ sub: 'a', ver: '1.0.0' }));
      expect(found.get(pinKey('com.acme', 'b'))?.ver).toBe('2.0.0');
      expect(found.get(pinKey('a:b', 'c'))?.ver).toBe('3.0.0');
      expect((await store.getMany([])).size).toBe(0);
    });

    it('replaces a pin on set', async () => {
      await store.set(pin());
      await store.set(pin({ ver: '1.1.0', perms: [] }));
      const got = await store.get('com.acme', 'read_file');
      expect(got?.ver).toBe('1.1.0');
      expect(got?.perms).toEqual([]);
    });

    it('setIfAbsent stores the first pin and returns the pin in force afterwards', async () => {
      const first = pin({ dig: 'a'.repeat(43) });
      expect(await store.setIfAbsent(first)).toEqual(first);
      const second = pin({ dig: 'b'.repeat(43) });
      expect(await store.setIfAbsent(second)).toEqual(first);
      expect((await store.get('com.acme', 'read_file'))?.dig).toBe('a'.repeat(43));
    });

    it('setIfAbsent is atomic: of many concurrent first uses exactly one wins', async () => {
      const candidates = Array.from({ length: 20 }, (_, i) =>
        pin({ dig: String(i).padStart(43, '0') }),
      );
      const inForce = await Promise.all(candidates.map((c) => store.setIfAbsent(c)));
      const winners = new Set(inForce.map((p) => p.dig));
      expect(winners.size).toBe(1);
      expect((await store.get('com.acme', 'read_file'))?.dig).toBe([...winners][0]);
    });

    it('replaceIf replaces only the expected pin and returns the pin in force', async () => {
      const v1 = pin({ ver: '1.0.0', dig: 'a'.repeat(43) });
      await store.set(v1);
      const v2 = pin({ ver: '2.0.0', dig: 'b'.repeat(43) });
      expect(await store.replaceIf({ ver: '9.9.9', dig: v1.dig }, v2)).toEqual(v1);
      expect(await store.replaceIf({ ver: v1.ver, dig: 'z'.repeat(43) }, v2)).toEqual(v1);
      expect(await store.get('com.acme', 'read_file')).toEqual(v1);
      expect(await store.replaceIf(v1, v2)).toEqual(v2);
      expect(await store.get('com.acme', 'read_file')).toEqual(v2);
      expect(await store.replaceIf(v1, pin({ ver: '3.0.0' }))).toEqual(v2);
    });

    it('replaceIf returns undefined and stores nothing when there is no pin', async () => {
      expect(await store.replaceIf({ ver: '1.0.0', dig: 'a'.repeat(43) }, pin())).toBeUndefined();
      expect(await store.get('com.acme', 'read_file')).toBeUndefined();
    });

    it('replaceIf is atomic: of many concurrent upgrades from one pin exactly one wins', async () => {
      const from = pin({ ver: '1.0.0' });
      await store.set(from);
      const upgrades = Array.from({ length: 20 }, (_, i) =>
        pin({ ver: `2.0.${i}`, dig: String(i).padStart(43, '0') }),
      );
      const inForce = await Promise.all(upgrades.map((u) => store.replaceIf(from, u)));
      const versions = new Set(inForce.map((p) => p?.ver));
      expect(versions.size).toBe(1);
      expect((await store.get('com.acme', 'read_file'))?.ver).toBe([...versions][0]);
    });

    it('deletes a pin and says whether there was one', async () => {
      await store.set(pin());
      expect(await store.delete('com.acme', 'read_file')).toBe(true);
      expect(await store.get('com.acme', 'read_file')).toBeUndefined();
      expect(await store.delete('com.acme', 'read_file')).toBe(false);
    });

    it('lists every pin', async () => {
      await store.set(pin({ sub: 'a' }));
      await store.set(pin({ sub: 'b' }));
      const subs = (await store.list()).map((p) => p.sub).sort();
      expect(subs).toEqual(['a', 'b']);
    });

    it('hands out copies: mutating a returned pin does not change the store', async () => {
      await store.set(pin());
      const got = await store.get('com.acme', 'read_file');
      got!.perms.push('admin');
      got!.ver = '9.9.9';
      expect(await store.get('com.acme', 'read_file')).toEqual(pin());
      const many = await store.getMany([{ iss: 'com.acme', sub: 'read_file' }]);
      many.get(pinKey('com.acme', 'read_file'))!.perms.push('admin');
      expect(await store.get('com.acme', 'read_file')).toEqual(pin());
    });

    if (options.createPeer) {
      const createPeer = options.createPeer;
      it('shares pins with a peer over the same backing store', async () => {
        const peer = await createPeer(store);
        await store.set(pin({ ver: '3.0.0' }));
        expect((await peer.get('com.acme', 'read_file'))?.ver).toBe('3.0.0');
        const raced = await peer.setIfAbsent(pin({ ver: '4.0.0' }));
        expect(raced.ver).toBe('3.0.0');
      });
    }
  });
}
