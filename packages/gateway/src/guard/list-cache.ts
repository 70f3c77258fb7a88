import type { PinId } from '@etdi/core';
import type { IdSpan } from './response-id.js';
import type { ToolRecord } from './tool-record.js';

/** A pin a cached page depends on, as it was right after the page was verified. */
export interface PinDependency extends PinId {
  /** `pinKey(iss, sub)`, computed once rather than on every hit. */
  readonly key: string;
  /** {@link pinFingerprint} of the pin then, `''` when there was none. */
  readonly fingerprint: string;
}

/** One verified `tools/list` page, kept as the bytes around its JSON-RPC id. */
export interface CachedPage {
  /** The upstream's text before and after the id value (slices of the text first seen). */
  readonly keyHead: string;
  readonly keyTail: string;
  /** The rewritten text before and after the id value. */
  readonly outHead: string;
  readonly outTail: string;
  /** Trust generation the page was verified under: keys, revocations and copies. */
  readonly generation: number;
  /** Epoch second from which a time-bound decision of the page may differ (expiry, nbf, ...). */
  readonly changesAt: number;
  /** Every pin a decision of the page depended on. */
  readonly pins: readonly PinDependency[];
  /** The tool names of the page (pagination checks them against earlier pages). */
  readonly names: readonly string[];
  /** The page's `nextCursor`: where the listing it belongs to continues. */
  readonly nextCursor: string | undefined;
  /** The decisions, re-applied for `tools/call` and the admin API on every hit. */
  readonly records: readonly ToolRecord[];
  readonly verified: number;
  readonly rejected: number;
}

/** Pages kept per upstream; the least recently used goes first. */
const PAGES_PER_UPSTREAM = 16;
/** Largest page kept, in characters (the upstream's and the rewritten text together). */
const MAX_PAGE_CHARS = 16 * 1024 * 1024;

/**
 * The byte-level cache of verified `tools/list` pages. A page matches when the new message
 * equals the cached one everywhere but the id value: compared as two string slices, which V8
 * compares with a memory comparison and no copy (a hash of a 200 KB list would cost more than
 * the comparison). Only pages of valid JSON whose id span is certain are ever stored.
 */
export class ListCache {
  readonly #pages = new Map<string, CachedPage[]>();

  /** The cached page whose text equals `text` everywhere but its id value, if any. */
  find(upstream: string, text: string, span: IdSpan): CachedPage | undefined {
    const pages = this.#pages.get(upstream);
    if (!pages) return undefined;
    const tailLength = text.length - span.end;
    for (const [i, page] of pages.entries()) {
      if (page.keyHead.length !== span.start || page.keyTail.length !== tailLength) continue;
      if (text.slice(0, span.start) !== page.keyHead) continue;
      if (text.slice(span.end) !== page.keyTail) continue;
      if (i > 0) {
        pages.splice(i, 1);
        pages.unshift(page);
      }
      return page;
    }
    return undefined;
  }

  add(upstream: string, page: CachedPage): void {
    const chars =
      page.keyHead.length + page.keyTail.length + page.outHead.length + page.outTail.length;
    if (chars > MAX_PAGE_CHARS) return;
    const pages = this.#pages.get(upstream) ?? [];
    const same = pages.findIndex((p) => p.keyHead === page.keyHead && p.keyTail === page.keyTail);
    if (same >= 0) pages.splice(same, 1);
    pages.unshift(page);
    if (pages.length > PAGES_PER_UPSTREAM) pages.length = PAGES_PER_UPSTREAM;
    this.#pages.set(upstream, pages);
  }

  delete(upstream: string, page: CachedPage): void {
    const pages = this.#pages.get(upstream);
    const i = pages?.indexOf(page) ?? -1;
    if (i >= 0) pages!.splice(i, 1);
  }

  /** Forgets the pages of one upstream, or of all. */
  clear(upstream?: string): void {
    if (upstream === undefined) this.#pages.clear();
    else this.#pages.delete(upstream);
  }
}
