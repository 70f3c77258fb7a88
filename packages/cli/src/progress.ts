import type { CliOutput } from './io.js';

/** Below this many files the work is over before a progress line would help. */
export const PROGRESS_MIN_FILES = 10;

/** Counts work done. Draws on stderr only when it is a terminal; otherwise does nothing. */
export interface Progress {
  tick(): void;
  /** Erases the line, so results and diagnostics that follow start clean. */
  done(): void;
}

const silent: Progress = { tick() {}, done() {} };

/**
 * A progress line such as `signing 12/40 files` on `stderr`, redrawn in place. Never drawn when
 * `stderr` is not a terminal (a log file or a pipe must not fill with carriage returns) or when
 * there are fewer than {@link PROGRESS_MIN_FILES} files.
 */
export function createProgress(stderr: CliOutput, label: string, total: number): Progress {
  if (!stderr.isTTY || total < PROGRESS_MIN_FILES) return silent;
  let count = 0;
  const draw = () => stderr.write(`\r${label} ${count}/${total} files`);
  draw();
  return {
    tick() {
      count++;
      draw();
    },
    done() {
      stderr.write('\r\x1b[2K');
    },
  };
}
