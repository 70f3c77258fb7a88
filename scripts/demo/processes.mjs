// Child processes of the demo: long-running services (registry, servers, gateway) and one-shot
// `etdi` commands. Every child is tracked, so the demo can stop all of them on success, on
// failure and on Ctrl-C / SIGTERM.
/* global fetch, setTimeout, clearTimeout */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A failed expectation: the demo stops and names the step that misbehaved. */
export class DemoFailure extends Error {}

export class Processes {
  /** @type {Set<import('node:child_process').ChildProcess>} */
  #children = new Set();
  #stopping = false;

  /** True once {@link stopAll} ran: no new child may start. */
  get stopping() {
    return this.#stopping;
  }

  /**
   * Starts `node ...args` and resolves once `ready(output)` returns a value (other than
   * undefined), which it resolves to. Rejects when the process exits first or after `timeoutMs`.
   */
  async startService(label, args, { cwd, env, ready, timeoutMs = 60_000 }) {
    const child = this.#spawn(args, { cwd, env });
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new DemoFailure(`${label} did not start within ${timeoutMs / 1000} s:\n${output}`));
      }, timeoutMs);
      const check = (chunk) => {
        output += chunk.toString('utf8');
        const value = ready(output);
        if (value !== undefined) {
          clearTimeout(timer);
          resolve({ value, child, output: () => output });
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new DemoFailure(`${label} exited (${signal ?? code}) before it was ready:\n${output}`),
        );
      });
    });
  }

  /** Runs `node ...args` to its end; resolves to `{status, stdout, stderr}`. */
  async run(args, { cwd, env }) {
    const child = this.#spawn(args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c) => (stderr += c.toString('utf8')));
    const [status, signal] = await once(child, 'exit');
    if (signal) throw new DemoFailure(`${args[0]} was stopped by ${signal}`);
    return { status, stdout, stderr };
  }

  /** SIGTERM to every child still running, SIGKILL to those still there after `graceMs`. */
  async stopAll(graceMs = 5_000) {
    this.#stopping = true;
    const running = [...this.#children].filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      running.map(async (child) => {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #spawn(args, { cwd, env }) {
    if (this.#stopping) throw new DemoFailure('the demo is stopping');
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }
}

/** A free port on 127.0.0.1, for a service whose URL must be known before it listens. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `url` until it answers 2xx. */
export async function waitForHttp(url, label, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new DemoFailure(`${label} did not answer ${url} in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
