import type { ApiKeyRecord } from '@etdi/auth';
import type { KeyStatus, PublicJwk, RevocationEntry } from '@etdi/core';
import type { ProviderIdentity } from '../provider-id.js';

/** A provider namespace. */
export interface ProviderRecord {
  readonly iss: string;
  /** RFC 3339. */
  readonly createdAt: string;
}

/** Why a provider could not be created, and the registered id it collides with. */
export type CreateProviderResult =
  | { readonly ok: true; readonly provider: ProviderRecord }
  | {
      readonly ok: false;
      /** `provider-exists`: equal after NFKC and case folding; else the skeletons are equal. */
      readonly error: 'provider-exists' | 'confusable-provider';
      readonly existing: string;
    };

/** A provider's signing key as the registry holds it. */
export interface KeyRecord {
  readonly kid: string;
  readonly iss: string;
  /** The public JWK: key members, `kid`, `alg`, `use`. Status and dates are kept beside it. */
  readonly jwk: PublicJwk;
  readonly status: KeyStatus;
  /** RFC 3339 bounds of the `iat` of signatures the key may have made. */
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What a publisher states about one key: added if new, else narrowed (never widened). */
export interface KeyStatement {
  readonly kid: string;
  readonly jwk: PublicJwk;
  readonly status: KeyStatus;
  readonly notBefore?: string;
  readonly notAfter?: string;
}

/** The state of a key after a statement, or `undefined` when the statement changes nothing. */
export type NarrowKey = (
  current: KeyRecord,
  incoming: KeyStatement,
) => Promise<Pick<KeyRecord, 'status' | 'notBefore' | 'notAfter'> | undefined>;

/** What became of one key of an {@link RegistryStore.addKeys} call. */
export interface KeyOutcome {
  readonly record: KeyRecord;
  readonly outcome: 'added' | 'updated' | 'unchanged';
}

export type AddKeysResult =
  | { readonly ok: true; readonly keys: readonly KeyOutcome[] }
  /** A key id is bound to another provider: nothing was written. */
  | { readonly ok: false; readonly kid: string; readonly boundTo: string };

/** Lifecycle of a stored version; `yanked` is not stored: it follows from the revocation list. */
export type StoredToolStatus = 'active' | 'deprecated';

/** One published definition `(iss, sub, ver)`. */
export interface ToolRecord {
  readonly iss: string;
  readonly sub: string;
  readonly ver: string;
  readonly dig: string;
  /** Sorted, de-duplicated. */
  readonly perms: readonly string[];
  readonly kid: string;
  readonly iat: number;
  /** The signed tool, byte for byte as published (the JSON text served). */
  readonly body: string;
  /** The registry's receipt JWS, made when the version was first published. */
  readonly receipt: string;
  readonly title?: string;
  readonly description?: string;
  readonly status: StoredToolStatus;
  /** RFC 3339. */
  readonly publishedAt: string;
}

/** A version without its body and receipt, for listings. */
export type VersionRecord = Omit<ToolRecord, 'body' | 'receipt'>;

/** A definition to publish. */
export type NewToolRecord = Omit<ToolRecord, 'status'>;

export type PublishResult =
  | {
      readonly ok: true;
      /** In input order: `created`, or `unchanged` with the record first published. */
      readonly results: readonly {
        readonly outcome: 'created' | 'unchanged';
        readonly record: ToolRecord;
      }[];
    }
  /** `(iss, sub, ver)` of input `index` exists with another digest or other perms: nothing was written. */
  | { readonly ok: false; readonly index: number; readonly existing: ToolRecord };

/** A page query over tools, ordered by `(iss, sub)`. */
export interface ListToolsQuery {
  readonly iss?: string;
  /** Case-insensitive substring of the name, title or description of any version. */
  readonly q?: string;
  /** Keyset cursor: tools strictly after this one. */
  readonly after?: { readonly iss: string; readonly sub: string };
  readonly limit: number;
}

/** One tool identity `(iss, sub)`. */
export interface ToolIdentity {
  readonly iss: string;
  readonly sub: string;
}

/** The revocation entries and the sequence number they were current at, read in one snapshot. */
export interface RevocationSnapshot {
  readonly seq: number;
  readonly entries: readonly RevocationEntry[];
}

export interface AddRevocationResult {
  /** False when an entry with the same selector existed: nothing changed. */
  readonly created: boolean;
  readonly seq: number;
  /** The entry in force (the earlier one when it existed). */
  readonly entry: RevocationEntry;
}

/**
 * Everything the registry keeps, behind one interface with a SQLite and a PostgreSQL
 * implementation (the same migrations, one contract suite). Writes that belong together happen
 * in one transaction: a publish batch, a key statement and the revocation it implies, a
 * revocation and the sequence number shared by every registry node. Methods throw
 * `RegistryError('store-unavailable')` when the database cannot be reached.
 */
export interface RegistryStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending schema migrations (safe to run from several nodes at once). */
  migrate(): Promise<{ readonly applied: readonly number[]; readonly version: number }>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createProvider(identity: ProviderIdentity, createdAt: string): Promise<CreateProviderResult>;
  getProvider(iss: string): Promise<ProviderRecord | undefined>;
  /** A registered provider equal to `identity` after folding, or with the same skeleton. */
  findSimilarProvider(identity: ProviderIdentity): Promise<ProviderRecord | undefined>;

  /**
   * Adds keys to `iss` or narrows known ones with `narrow`, all or nothing. A key narrowed to
   * `revoked` also gets a revocation entry `{ kid }` (and the sequence number moves).
   */
  addKeys(
    iss: string,
    keys: readonly KeyStatement[],
    narrow: NarrowKey,
    now: string,
  ): Promise<AddKeysResult>;
  getKey(kid: string): Promise<KeyRecord | undefined>;
  /** Keys of these providers and these key ids (the union); every key when both are omitted. */
  listKeys(filter?: {
    readonly iss?: readonly string[];
    readonly kid?: readonly string[];
  }): Promise<KeyRecord[]>;

  /** Stores a batch, all or nothing; `(iss, sub, ver)` never changes digest or perms. */
  publish(tools: readonly NewToolRecord[]): Promise<PublishResult>;
  getTool(iss: string, sub: string, ver: string): Promise<ToolRecord | undefined>;
  listVersions(iss: string, sub: string): Promise<VersionRecord[]>;
  /** Every stored definition with this digest, oldest first. */
  toolsByDigest(dig: string): Promise<ToolRecord[]>;
  listTools(query: ListToolsQuery): Promise<ToolIdentity[]>;
  /** The versions of these tools. */
  versionsOf(tools: readonly ToolIdentity[]): Promise<VersionRecord[]>;
  /** Whether the version exists. */
  setToolStatus(iss: string, sub: string, ver: string, status: StoredToolStatus): Promise<boolean>;

  /** Adds an entry unless one with the same members exists; a new entry moves `seq` by one. */
  addRevocation(entry: RevocationEntry): Promise<AddRevocationResult>;
  revocationSeq(): Promise<number>;
  revocations(): Promise<RevocationSnapshot>;

  getApiKey(keyId: string): Promise<ApiKeyRecord | undefined>;
  /** Creates or replaces the record (hash only, never the key). */
  setApiKey(record: ApiKeyRecord): Promise<void>;
  deleteApiKey(keyId: string): Promise<boolean>;
}
