import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Stops watching. */
export interface FileWatch {
  close(): void;
}

/** Events within this many milliseconds make one reload (an editor writes a file in bursts). */
const SETTLE_MS = 50;

/**
 * Calls `onChange` when one of `paths` may have changed: `fs.watch` on each parent directory
 * (which also sees a file replaced by rename, as editors and config managers do), plus a poll
 * every `pollIntervalMs` for file systems where watching is unreliable (network mounts,
 * containers' bind mounts). `onChange` must tell a real change from a spurious call itself.
 */
export function watchFiles(
  paths: readonly string[],
  onChange: () => void,
  options: { readonly pollIntervalMs: number; readonly watch: boolean },
): FileWatch {
  const watchers: FSWatcher[] = [];
  let settle: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (settle) return;
    settle = setTimeout(() => {
      settle = undefined;
      onChange();
    }, SETTLE_MS);
    settle.unref();
  };
  if (options.watch) {
    const byDir = new Map<string, Set<string>>();
    for (const p of paths) {
      const names = byDir.get(dirname(p)) ?? new Set<string>();
      names.add(basename(p));
      byDir.set(dirname(p), names);
    }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, filename) => {
          if (filename === null || names.has(filename.toString())) schedule();
        });
        // A directory that goes away is the poll's job; the watcher must never crash the process.
        w.on('error', () => w.close());
        watchers.push(w);
      } catch {
        // Not watchable here (missing directory, no inotify): the poll still covers it.
      }
    }
  }
  const poll =
    options.pollIntervalMs > 0 && paths.length > 0
      ? setInterval(onChange, options.pollIntervalMs).unref()
      : undefined;
  return {
    close() {
      for (const w of watchers) w.close();
      if (settle) clearTimeout(settle);
      if (poll) clearInterval(poll);
    },
  };
}
