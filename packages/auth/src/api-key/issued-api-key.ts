import { inspect, type InspectOptions } from 'node:util';
import { maskSecret } from '@etdi/core';
import type { ApiKeyRecord } from './api-key-record.js';

/**
 * A freshly issued API key. The plaintext is shown to its owner once, through {@link reveal};
 * every other way of showing the object masks it.
 */
export class IssuedApiKey {
  readonly #key: string;
  readonly keyId: string;
  /** What the store now holds (the hash, never the key). */
  readonly record: ApiKeyRecord;

  constructor(key: string, record: ApiKeyRecord) {
    this.#key = key;
    this.keyId = record.keyId;
    this.record = record;
  }

  /** The full key `keyId.secret`, to hand to its owner. */
  reveal(): string {
    return this.#key;
  }

  toJSON(): Record<string, unknown> {
    return { keyId: this.keyId, key: maskSecret(this.#key, 4), record: this.record };
  }

  toString(): string {
    return `IssuedApiKey { keyId: ${JSON.stringify(this.keyId)}, key: "${maskSecret(this.#key, 4)}" }`;
  }

  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `IssuedApiKey ${inspect(this.toJSON(), { ...options, depth: 4 })}`;
  }
}
