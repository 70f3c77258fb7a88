/** An approved definition of a tool `(iss, sub)`: what later versions are checked against. */
export interface Pin {
  iss: string;
  sub: string;
  ver: string;
  dig: string;
  /** Approved scopes, sorted. */
  perms: string[];
  /** RFC 3339 date-time of the approval. */
  approvedAt: string;
  /** Key that signed the approved definition. */
  kid?: string;
}

/** A tool's identity `(iss, sub)`. */
export interface PinId {
  readonly iss: string;
  readonly sub: string;
}

/** The key of a tool's identity in maps such as {@link PinStore.getMany}'s result. */
export function pinKey(iss: string, sub: string): string {
  return JSON.stringify([iss, sub]);
}

/**
 * Where approvals are kept: in memory (the embedded default), Redis or SQL when several gateway
 * nodes share them. Every implementation passes the same contract suite
 * (`pinStoreContract` from `@etdi/core/testing`).
 */
export interface PinStore {
  get(iss: string, sub: string): Promise<Pin | undefined>;
  /**
   * The pins of many tools in one round trip (a 100-tool list is one Redis `MGET` or one SQL
   * query, not 100): a map keyed by {@link pinKey}`(iss, sub)`, holding only the tools that
   * have a pin.
   */
  getMany(ids: readonly PinId[]): Promise<Map<string, Pin>>;
  /** Stores the pin, replacing any pin of the same `(iss, sub)` (an approval or an upgrade). */
  set(pin: Pin): Promise<void>;
  /**
   * Stores the pin only if `(iss, sub)` has none, atomically. Returns the pin now in force:
   * the given one, or the one another node stored first.
   */
  setIfAbsent(pin: Pin): Promise<Pin>;
  /**
   * Replaces the pin of `(next.iss, next.sub)` only if the pin in force still has the expected
   * `ver` and `dig`, atomically (compare-and-set). Returns the pin in force afterwards: `next`
   * when it was stored, otherwise whatever another node stored meanwhile (or `undefined`).
   */
  replaceIf(expected: Pick<Pin, 'ver' | 'dig'>, next: Pin): Promise<Pin | undefined>;
  /** Removes the pin; `true` if there was one. */
  delete(iss: string, sub: string): Promise<boolean>;
  /** Every pin, in no particular order. */
  list(): Promise<Pin[]>;
}
