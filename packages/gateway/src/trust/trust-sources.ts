import {
  readSignedCopy,
  SignedCopyIndex,
  toolsOfDocument,
  TrustStore,
  type Logger,
  type RevocationList,
  type SignedCopy,
} from '@etdi/core';
import { GatewayError } from '../errors.js';
import type { GuardMetrics } from '../guard/guard-metrics.js';
import { readJsonDocument } from './json-document.js';
import { watchFiles, type FileWatch } from './watch-files.js';

/** Everything the guard verifies against at one moment; replaced whole when a source changes. */
export interface TrustSnapshot {
  /** Increases with every change: cached decisions of an older generation are not reused. */
  readonly generation: number;
  readonly trust: TrustStore;
  readonly revocations: RevocationList | undefined;
  /** Attested copies from `trust.signedTools`. */
  readonly copies: SignedCopyIndex;
}

/** A configured file and the configuration member that names it. */
export interface TrustFile {
  readonly path: string;
  /** JSON pointer of the member, e.g. `/trust/jwks/0`. */
  readonly pointer: string;
}

/** What the registry contributes to a snapshot (see `RegistryTrust`). */
export interface RegistryContribution {
  readonly jwks: unknown;
  readonly source: string;
  readonly revocations: RevocationList | undefined;
}

/** A source of trust beside the files, refreshed on its own schedule: the registry. */
export interface RemoteTrust {
  /** The latest verified state; `undefined` before the first successful refresh. */
  current(): RegistryContribution | undefined;
  /** Why trust from this source cannot be relied on at `nowMs`, or `undefined`. */
  problem(nowMs: number): string | undefined;
  /** Starts refreshing; calls `changed` after a refresh that changed the contribution. */
  start(changed: () => Promise<boolean>): Promise<void>;
  /** Refreshes now; resolves to whether the contribution changed (and trust was rebuilt). */
  refresh(): Promise<boolean>;
  close(): Promise<void>;
}

export interface TrustSourcesOptions {
  readonly jwks: readonly TrustFile[];
  readonly signedTools: readonly TrustFile[];
  readonly remote?: RemoteTrust | undefined;
  readonly logger: Logger;
  readonly metrics: GuardMetrics;
  /** Poll interval of the files, besides watching them; 0 turns polling off. */
  readonly pollIntervalMs: number;
  readonly watch: boolean;
}

interface FileState {
  readonly texts: readonly string[];
  readonly jwks: readonly {
    readonly doc: unknown;
    readonly source: string;
    readonly pointer: string;
  }[];
  readonly copies: readonly SignedCopy[];
}

type FileRead =
  | { readonly ok: true; readonly state: FileState }
  | { readonly ok: false; readonly error: string; readonly pointer: string };

/**
 * The guard's trust: JWKS files and signed-tool files (reloaded on change; a bad new file keeps
 * the old trust and logs why) and, when configured, the registry. Produces immutable
 * {@link TrustSnapshot}s. Trust only narrows for a key that stays: a key seen retired or revoked
 * in this process never becomes active again from an older copy of a document.
 */
export class TrustSources {
  readonly #options: TrustSourcesOptions;
  #files: FileState;
  #snapshot: TrustSnapshot;
  #watch: FileWatch | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners: ((snapshot: TrustSnapshot) => void)[] = [];

  private constructor(options: TrustSourcesOptions, files: FileState, snapshot: TrustSnapshot) {
    this.#options = options;
    this.#files = files;
    this.#snapshot = snapshot;
  }

  /**
   * Loads the files (a file that cannot be used is a start-up error naming its configuration
   * member), starts the remote source and the file watch.
   */
  static async open(options: TrustSourcesOptions): Promise<TrustSources> {
    const read = await readFiles(options);
    if (!read.ok) {
      throw new GatewayError('trust-unavailable', read.error, { pointer: read.pointer });
    }
    const trust = await buildTrust(read.state, undefined, undefined);
    const snapshot: TrustSnapshot = {
      generation: 1,
      trust,
      revocations: undefined,
      copies: new SignedCopyIndex(read.state.copies),
    };
    const sources = new TrustSources(options, read.state, snapshot);
    options.metrics.trustRefreshes.inc({ source: 'files', result: 'updated' });
    if (options.remote) await options.remote.start(() => sources.#serial(() => sources.#rebuild()));
    const paths = [...options.jwks, ...options.signedTools].map((f) => f.path);
    sources.#watch = watchFiles(paths, () => void sources.reloadFiles(), options);
    return sources;
  }

  /** The trust in force. */
  get snapshot(): TrustSnapshot {
    return this.#snapshot;
  }

  /** Why the guard must fail closed at `nowMs` (every tool `stale`), or `undefined`. */
  problem(nowMs: number): string | undefined {
    return this.#options.remote?.problem(nowMs);
  }

  /** Called with every new snapshot. */
  onChange(listener: (snapshot: TrustSnapshot) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Re-reads the files; a change makes a new snapshot. Never throws: a file that cannot be used
   * keeps the trust in force, and the reason is logged. Resolves to whether trust changed.
   */
  reloadFiles(): Promise<boolean> {
    return this.#serial(async () => {
      const read = await readFiles(this.#options);
      if (!read.ok) {
        this.#options.logger.warn(
          { pointer: read.pointer, error: read.error },
          'trust files not reloaded: keeping the trust in force',
        );
        this.#options.metrics.trustRefreshes.inc({ source: 'files', result: 'failed' });
        return false;
      }
      const same =
        read.state.texts.length === this.#files.texts.length &&
        read.state.texts.every((t, i) => t === this.#files.texts[i]);
      if (same) return false;
      const previous = this.#files;
      this.#files = read.state;
      if (!(await this.#rebuild())) {
        this.#files = previous;
        this.#options.metrics.trustRefreshes.inc({ source: 'files', result: 'failed' });
        return false;
      }
      this.#options.metrics.trustRefreshes.inc({ source: 'files', result: 'updated' });
      return true;
    });
  }

  /** Re-reads the files and refreshes the remote source now. Resolves to whether trust changed. */
  async refresh(): Promise<boolean> {
    const files = await this.reloadFiles();
    const remote = (await this.#options.remote?.refresh()) ?? false;
    return files || remote;
  }

  async close(): Promise<void> {
    this.#watch?.close();
    await this.#options.remote?.close();
    await this.#queue.catch(() => undefined);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Builds and installs a snapshot from the files and the remote source; false if refused. */
  async #rebuild(): Promise<boolean> {
    const remote = this.#options.remote?.current();
    let trust: TrustStore;
    try {
      trust = await buildTrust(this.#files, remote, this.#snapshot.trust);
    } catch (e) {
      this.#options.logger.warn(
        { error: (e as Error).message },
        'trust not rebuilt: the new key documents contradict each other; keeping the trust in force',
      );
      return false;
    }
    this.#snapshot = {
      generation: this.#snapshot.generation + 1,
      trust,
      revocations: remote?.revocations,
      copies: new SignedCopyIndex(this.#files.copies),
    };
    this.#options.logger.info(
      {
        generation: this.#snapshot.generation,
        keys: trust.size,
        copies: this.#snapshot.copies.size,
      },
      'trust updated',
    );
    for (const listener of this.#listeners) listener(this.#snapshot);
    return true;
  }
}

async function readFiles(options: TrustSourcesOptions): Promise<FileRead> {
  const texts: string[] = [];
  const jwks: { doc: unknown; source: string; pointer: string }[] = [];
  for (const file of options.jwks) {
    const doc = await readJsonDocument(file.path);
    if (!doc.ok) return { ok: false, error: `trust JWKS: ${doc.error}`, pointer: file.pointer };
    texts.push(doc.text);
    jwks.push({ doc: doc.value, source: file.path, pointer: file.pointer });
  }
  const copies: SignedCopy[] = [];
  for (const file of options.signedTools) {
    const doc = await readJsonDocument(file.path);
    if (!doc.ok) return { ok: false, error: `signed tools: ${doc.error}`, pointer: file.pointer };
    texts.push(doc.text);
    const { tools, base } = toolsOfDocument(doc.value);
    for (const [i, tool] of tools.entries()) {
      const read = readSignedCopy(tool, file.path);
      if (!read.ok) {
        return {
          ok: false,
          error: `signed tools: ${file.path} ${base}/${i} ${read.error}; sign the file with \`etdi sign\``,
          pointer: file.pointer,
        };
      }
      copies.push(read.copy);
    }
  }
  return { ok: true, state: { texts, jwks, copies } };
}

/**
 * A trust store of the files' and the registry's keys; a document that cannot be used throws a
 * `trust-unavailable` error naming its configuration member. Keys of `previous` that are still present
 * are merged in again, so their trust can only narrow (TrustStore's merge rule).
 */
async function buildTrust(
  files: FileState,
  remote: RegistryContribution | undefined,
  previous: TrustStore | undefined,
): Promise<TrustStore> {
  const store = new TrustStore();
  for (const { doc, source, pointer } of files.jwks) {
    try {
      await store.addJwks(doc, { source });
    } catch (cause) {
      throw new GatewayError('trust-unavailable', `trust JWKS: ${(cause as Error).message}`, {
        pointer,
        cause,
      });
    }
  }
  if (remote) await store.addJwks(remote.jwks, { source: remote.source });
  if (previous) {
    const kept = [...previous.keys()].filter((k) => store.get(k.kid)).map((k) => k.jwk);
    if (kept.length > 0) await store.addJwks({ keys: kept }, { source: 'earlier trust' });
  }
  return store;
}
