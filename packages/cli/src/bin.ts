#!/usr/bin/env node
import { runCli } from './run-cli.js';

// A thin shell: everything else is in runCli, which tests call in-process. exitCode, not
// process.exit(), so buffered stdout reaches a pipe before the process ends.
process.exitCode = await runCli(process.argv.slice(2));
