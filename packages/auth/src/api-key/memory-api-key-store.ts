import { AuthError } from '../errors.js';
import type { ApiKeyRecord } from './api-key-record.js';
import { validateApiKeyRecord } from './api-key-schema.js';
import type { ApiKeyStore } from './api-key-store.js';

/** API key records in this process's memory; optionally seeded with records (hashes only). */
export class MemoryApiKeyStore implements ApiKeyStore {
  readonly #records = new Map<string, ApiKeyRecord>();

  constructor(records: readonly ApiKeyRecord[] = []) {
    for (const record of records) this.#set(record);
  }

  #set(record: ApiKeyRecord): void {
    if (!validateApiKeyRecord(record as unknown)) {
      throw new AuthError(
        'invalid-argument',
        `API key record is malformed: ${validateApiKeyRecord.errors?.map((e) => `${e.instancePath} ${e.message}`).join('; ')}`,
      );
    }
    // A frozen deep copy: nobody can change a stored record behind the store's back.
    this.#records.set(record.keyId, Object.freeze(structuredClone(record)) as ApiKeyRecord);
  }

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.#records.get(keyId);
  }

  async put(record: ApiKeyRecord): Promise<void> {
    this.#set(record);
  }

  async delete(keyId: string): Promise<boolean> {
    return this.#records.delete(keyId);
  }
}
