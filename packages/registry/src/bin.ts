#!/usr/bin/env node
import { runRegistryCli, type RunningRegistry } from './cli/run-registry-cli.js';

let running: RunningRegistry | undefined;
let stopping = false;

// SIGTERM and SIGINT stop gracefully: no new connections, in-flight requests finish, the store
// closes; the process then ends on its own. A second signal does not wait.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping || !running) {
      process.exit(130);
    }
    stopping = true;
    running.app.log.info({ signal }, 'shutting down');
    running.close().catch((error: unknown) => {
      console.error(`error while shutting down: ${String(error)}`);
      process.exitCode = 1;
    });
  });
}

process.exitCode = await runRegistryCli(process.argv.slice(2), process, (r) => {
  running = r;
});
