#!/usr/bin/env node
import { runGatewayCli } from './run-gateway-cli.js';

// A thin shell: the work is in runGatewayCli, which tests call in-process.
const { exitCode, app } = await runGatewayCli(process.argv.slice(2));
process.exitCode = exitCode;
if (app) {
  const stop = () => {
    // Graceful: no new connections, open requests finish, pools and Redis close.
    void app.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
