#!/usr/bin/env node
import { runCli } from './run-cli.js';

// A reader that goes away early (`etdi verify ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// A thin shell: everything else is in runCli, which tests call in-process. exitCode, not
// process.exit(), so buffered stdout reaches a pipe before the process ends.
process.exitCode = await runCli(process.argv.slice(2));
