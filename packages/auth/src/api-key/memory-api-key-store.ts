import { checkOptions } from '../config/check-options.js';
import { validateApiKeyRecord, type ApiKeyRecord } from './api-key-record.js';
import type { ApiKeyStore } from './api-key-store.js';

/** API key records in this process's memory; optionally seeded with records (hashes only). */
export class MemoryApiKeyStore implements ApiKeyStore {
  readonly #records = new Map<string, ApiKeyRecord>();

  constructor(records: readonly ApiKeyRecord[] = []) {
    for (const record of records) this.#set(record);
  }

  #set(record: ApiKeyRecord): void {
    checkOptions(validateApiKeyRecord, record, 'malformed API key record', 'invalid-argument');
    // A frozen deep copy: nobody can change a stored record behind the store's back.
    this.#records.set(record.keyId, Object.freeze(structuredClone(record)) as ApiKeyRecord);
  }

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.#records.get(keyId);
  }

  async set(record: ApiKeyRecord): Promise<void> {
    this.#set(record);
  }

  async delete(keyId: string): Promise<boolean> {
    return this.#records.delete(keyId);
  }
}
