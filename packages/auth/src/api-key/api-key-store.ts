import type { ApiKeyRecord } from './api-key-record.js';

/**
 * Where API key records live: {@link MemoryApiKeyStore} (embedded, tests, keys from a config
 * file) or {@link RedisApiKeyStore} (shared by gateway nodes). Records are looked up by key id
 * only, never by secret.
 */
export interface ApiKeyStore {
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
  /** Creates or replaces the record with this key id. */
  set(record: ApiKeyRecord): Promise<void>;
  /** Whether there was a record to delete. */
  delete(keyId: string): Promise<boolean>;
}
