import type { ApiKeyRecord, ApiKeyStore } from '@etdi/auth';
import type { RegistryStore } from './registry-store.js';

/**
 * @etdi/auth's `ApiKeyStore` over the registry's store: publisher keys live in the registry's
 * database (shared by every node); the admin keys given at start-up (hashes only) live in this
 * process and are looked up first, so changing the admin key and restarting retires the old one.
 */
export class RegistryApiKeyStore implements ApiKeyStore {
  readonly #store: RegistryStore;
  readonly #admin: ReadonlyMap<string, ApiKeyRecord>;

  constructor(store: RegistryStore, adminRecords: readonly ApiKeyRecord[] = []) {
    this.#store = store;
    this.#admin = new Map(adminRecords.map((r) => [r.keyId, Object.freeze({ ...r })]));
  }

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.#admin.get(keyId) ?? (await this.#store.getApiKey(keyId));
  }

  async set(record: ApiKeyRecord): Promise<void> {
    await this.#store.setApiKey(record);
  }

  async delete(keyId: string): Promise<boolean> {
    return this.#store.deleteApiKey(keyId);
  }
}
