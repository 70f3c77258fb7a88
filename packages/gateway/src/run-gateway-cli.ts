import { Command, CommanderError } from 'commander';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from './build-gateway.js';
import { loadGatewayConfig } from './config/load-config.js';
import { GatewayError } from './errors.js';
import { checkAuthDocument } from './http/gateway-auth.js';
import { stdioCommandIssues } from './upstream/stdio-command.js';
import { GATEWAY_VERSION } from './version.js';

/** Where the CLI writes, and its environment; tests pass their own. */
export interface GatewayCliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * `etdi-gateway --config FILE [--check] [--json]`. With `--check` it validates the whole
 * configuration (the auth document included, and that each stdio upstream's command can be
 * found) and resolves to an exit code; otherwise it starts the server and resolves to the
 * running app (stop it with `app.close()`; the bin does on SIGTERM and SIGINT). Problems are
 * written to stderr, one per line, each with its JSON pointer; `--json` writes them as one JSON
 * object to stdout instead.
 */
export async function runGatewayCli(
  argv: readonly string[],
  io: GatewayCliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<{ readonly exitCode: number; readonly app?: FastifyInstance }> {
  const program = new Command('etdi-gateway')
    .description(
      'The ETDI gateway: an MCP proxy that verifies tools at tools/list and authorises tools/call',
    )
    .version(GATEWAY_VERSION)
    .requiredOption('-c, --config <file>', 'configuration file (.json, .yaml, .yml)')
    .option('--check', 'validate the configuration and exit')
    .option('--json', 'machine-readable output')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return { exitCode: error.exitCode === 0 ? 0 : 2 };
    throw error;
  }
  const options = program.opts<{ config: string; check?: boolean; json?: boolean }>();
  try {
    const config = await loadGatewayConfig(options.config, { env: io.env });
    checkAuthDocument(config.document.auth, io.env);
    const commands = stdioCommandIssues(config, io.env);
    if (commands.length > 0) {
      throw new GatewayError('invalid-config', 'a stdio upstream cannot be started', {
        issues: commands,
      });
    }
    if (options.check) {
      if (options.json)
        io.stdout.write(
          `${JSON.stringify({ ok: true, upstreams: [...config.upstreams.keys()] })}\n`,
        );
      else io.stdout.write(`${options.config}: valid (${config.upstreams.size} upstreams)\n`);
      return { exitCode: 0 };
    }
    const app = await buildGateway(config, { env: io.env });
    await app.listen(config.listen);
    return { exitCode: 0, app };
  } catch (error) {
    const issues = error instanceof GatewayError ? error.issues : [];
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ ok: false, code, message, issues })}\n`);
    } else if (issues.length > 0) {
      io.stderr.write(`${options.config}: invalid configuration\n`);
      for (const issue of issues) io.stderr.write(`  ${issue.pointer || '/'}: ${issue.message}\n`);
    } else {
      io.stderr.write(`${message}\n`);
    }
    return { exitCode: 1 };
  }
}
