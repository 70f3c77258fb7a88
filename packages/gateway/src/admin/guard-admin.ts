import type { Pin } from '@etdi/core';
import type { ToolRecord } from '../guard/tool-record.js';

/** One tool waiting for an administrator's approval. */
export interface ApprovalRequestView {
  readonly upstream: string;
  readonly iss: string;
  readonly name: string;
  readonly ver: string;
  readonly dig: string;
  readonly perms: readonly string[];
  /** `first-use` (firstUse: hold) or `added-scopes` (a newer version widens the perms). */
  readonly kind: 'first-use' | 'added-scopes';
  readonly addedScopes: readonly string[];
  /** The approved version it would replace, if any. */
  readonly approvedVer: string | undefined;
  readonly since: string;
}

/** What an administrator approves: one definition of one upstream's tool. */
export interface ApprovalTarget {
  readonly upstream: string;
  readonly iss: string;
  readonly name: string;
  readonly ver: string;
}

/**
 * The guard's administrative surface, served by `adminRoutes` behind the gateway's auth chain
 * (scope `etdi:admin`).
 */
export interface GuardAdmin {
  /** The last decision about every tool of every upstream. */
  tools(): readonly ToolRecord[];
  /** The tools waiting for approval. */
  approvals(): readonly ApprovalRequestView[];
  /**
   * Approves a waiting definition: pins it (atomically, replacing exactly the pin it was
   * compared with), so the next `tools/list` of its upstream shows it. Throws `GatewayError`
   * `not-found` when no such definition is waiting, `conflict` when the pin changed meanwhile.
   */
  approve(target: ApprovalTarget): Promise<Pin>;
}
