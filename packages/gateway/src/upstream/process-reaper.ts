import type { Logger } from '@etdi/core';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

// The watchdog, run as `node -e`: it reads `+<pid> <graceMs>` and `-<pid>` lines on stdin, a
// pipe only the gateway holds open. When that pipe ends (the gateway exited, was killed, or
// crashed), it sends SIGTERM to every child still registered, SIGKILL after the grace period,
// and exits. On Linux a pid is only signalled while /proc shows the same process (its start
// time), so a pid reused by another process is left alone.
const WATCHDOG = String.raw`
const fs = require('node:fs');
const live = new Map();
const started = (pid) => {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch { return undefined; }
};
const signal = (pid, sig) => {
  const entry = live.get(pid);
  if (entry.start !== undefined && started(pid) !== entry.start) return;
  try { process.kill(pid, sig); } catch {}
};
let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  text += chunk;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n')) {
    const [head, grace] = text.slice(0, i).split(' ');
    text = text.slice(i + 1);
    const pid = Number(head.slice(1));
    if (head[0] === '+') live.set(pid, { grace: Number(grace) || 5000, start: started(pid) });
    else live.delete(pid);
  }
});
process.stdin.on('end', () => {
  let longest = 0;
  for (const [pid, entry] of live) {
    signal(pid, 'SIGTERM');
    longest = Math.max(longest, entry.grace);
  }
  setTimeout(() => {
    for (const pid of live.keys()) signal(pid, 'SIGKILL');
    process.exit(0);
  }, live.size === 0 ? 0 : longest);
});
// Ctrl-C reaches the whole process group: the gateway stops its children itself.
process.on('SIGINT', () => {});
`;

let shared: ProcessReaper | undefined;

/**
 * Makes sure no stdio child outlives the gateway, even when the gateway is killed with SIGKILL
 * and the child ignores the end of its stdin (an MCP server with a timer of its own keeps
 * running then): one small watchdog process per gateway process, which learns each child's pid
 * and kills the children it still knows when the gateway goes away. Shared by every stdio
 * upstream of the process; the last one to release it stops it.
 */
export class ProcessReaper {
  readonly #logger: Logger;
  #watchdog: ChildProcess | undefined;
  #startedAt = 0;
  readonly #live = new Map<number, number>();
  #users = 0;

  private constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The process's reaper, started on first use; call {@link release} when done. */
  static acquire(logger: Logger): ProcessReaper {
    shared ??= new ProcessReaper(logger);
    shared.#users++;
    return shared;
  }

  /** The watchdog's process id (for tests). */
  get pid(): number | undefined {
    return this.#watchdog?.pid;
  }

  /** A child to kill if the gateway goes away (SIGTERM, then SIGKILL after `graceMs`). */
  register(pid: number, graceMs: number): void {
    this.#live.set(pid, graceMs);
    this.#write(`+${pid} ${Math.ceil(graceMs)}\n`);
  }

  /** A child that has exited. */
  unregister(pid: number): void {
    if (this.#live.delete(pid)) this.#write(`-${pid}\n`);
  }

  /** One user fewer; the last one ends the watchdog (it exits at once, knowing no child). */
  release(): void {
    if (--this.#users > 0) return;
    if (shared === this) shared = undefined;
    const watchdog = this.#watchdog;
    this.#watchdog = undefined;
    watchdog?.stdin?.end();
  }

  #write(line: string): void {
    const watchdog = this.#watchdog ?? this.#start();
    watchdog.stdin?.write(line);
  }

  #start(): ChildProcess {
    const watchdog = spawn(process.execPath, ['-e', WATCHDOG], {
      stdio: ['pipe', 'ignore', 'inherit'],
      env: {},
      windowsHide: true,
    });
    this.#watchdog = watchdog;
    watchdog.stdin!.on('error', () => {
      // The watchdog is gone; 'exit' starts another one when there are children to watch.
    });
    this.#startedAt = Date.now();
    watchdog.once('exit', (code, signal) => {
      if (this.#watchdog !== watchdog) return;
      this.#watchdog = undefined;
      // One that dies at once would die again: say so rather than spawn in a loop.
      if (Date.now() - this.#startedAt < 1000) {
        this.#logger.error({ code, signal }, 'stdio watchdog failed to start');
        return;
      }
      this.#logger.warn({ code, signal }, 'stdio watchdog exited: restarting it');
      for (const [pid, grace] of this.#live) this.#write(`+${pid} ${Math.ceil(grace)}\n`);
    });
    // Neither the process nor its pipe keeps the gateway's event loop alive.
    watchdog.unref();
    (watchdog.stdin as Socket | null)?.unref();
    return watchdog;
  }
}
