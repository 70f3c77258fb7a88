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

/**
 * Where approvals are kept: in memory (the embedded default), Redis or SQL when several gateway
 * nodes share them. Every implementation passes the same contract suite
 * (`pinStoreContract` from `@etdi/core/testing`).
 */
export interface PinStore {
  get(iss: string, sub: string): Promise<Pin | undefined>;
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
