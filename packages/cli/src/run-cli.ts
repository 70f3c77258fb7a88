import { EtdiError, SIGNING_ALGORITHMS, type SigningAlgorithm } from '@etdi/core';
import { Command, CommanderError, Option } from 'commander';
import { canonicalizeFile } from './commands/canonicalize.js';
import { keygen } from './commands/keygen.js';
import { sign } from './commands/sign.js';
import { verify } from './commands/verify.js';
import { CliError, ExitCode } from './errors.js';
import { printable, resolveFormat } from './format.js';
import {
  addTrustOptions,
  commaList,
  duration,
  formatOptions,
  repeated,
  trustFlags,
  type FormatFlags,
  type TrustOptionValues,
} from './options.js';
import { VERIFY_FORMATS, type VerifyFormat } from './report/verify-report.js';
import { processIo, type CliIo } from './io.js';
import { cliVersion } from './version.js';

// The commands other than keygen, sign, verify and canonicalize are imported when they run: their
// dependencies (the MCP SDK, node-forge, jsdiff) would otherwise slow every start of etdi.

/**
 * Builds the `etdi` program. Each call builds a fresh one: commander keeps parse state on the
 * command, and tests run many command lines in one process.
 */
export function createProgram(io: CliIo, setExitCode: (code: ExitCode) => void): Command {
  const program = new Command('etdi');
  // Set before the subcommands are added: they inherit output, exit and help-on-error settings.
  program
    .description('Sign and verify MCP tool definitions (ETDI wire format v1).')
    .version(cliVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  const keygenCommand = program
    .command('keygen')
    .description('generate a signing key pair bound to a provider: private.jwk and jwks.json')
    .addOption(
      new Option('--alg <alg>', 'signing algorithm').choices(SIGNING_ALGORITHMS).default('EdDSA'),
    )
    .requiredOption('--iss <provider>', 'provider id the key signs for, e.g. com.acme')
    .requiredOption('--out <dir>', 'directory to write private.jwk and jwks.json into')
    .option('--force', 'replace existing key files');
  for (const o of formatOptions()) keygenCommand.addOption(o);
  keygenCommand.addHelpText(
    'after',
    `
Examples:
  etdi keygen --iss com.acme --out keys/
  etdi keygen --iss com.acme --alg ES256 --out keys-p256/ --json`,
  );
  keygenCommand.action(
    async (
      opts: { alg: SigningAlgorithm; iss: string; out: string; force?: boolean } & FormatFlags,
    ) => {
      setExitCode(
        await keygen(
          {
            alg: opts.alg,
            iss: opts.iss,
            out: opts.out,
            force: opts.force ?? false,
            format: resolveFormat(opts),
          },
          io,
        ),
      );
    },
  );

  const signCommand = program
    .command('sign')
    .description('sign tool definitions: a tool, an array of tools or a tools/list result per file')
    .argument('<path...>', 'JSON files, or directories of *.json files')
    .requiredOption('--key <file>', 'private key: private.jwk from etdi keygen, or a PKCS#8 PEM')
    .option('--iss <provider>', "provider to sign for (default: the key's iss)")
    .option(
      '--ver <semver>',
      'semantic version of the definitions, e.g. 1.0.0 (overrides etdi.json)',
    )
    .option('--perms <scopes>', 'comma-separated OAuth scopes a caller needs', commaList)
    .option(
      '--expires <duration>',
      'signature lifetime, e.g. 90d, 12h or seconds',
      duration('--expires'),
    )
    .addOption(
      new Option('--out <dir>', 'write signed files here, same file names').conflicts('inPlace'),
    )
    .option('--in-place', 'replace each input file with its signed version')
    .option('--sidecar <file>', 'per-tool ver, perms and expires (default: ./etdi.json if present)')
    .option('--no-sidecar', 'ignore ./etdi.json');
  for (const o of formatOptions()) signCommand.addOption(o);
  signCommand.addHelpText(
    'after',
    `
Examples:
  etdi sign tools/ --key keys/private.jwk --ver 1.0.0 --perms files:read --out signed/
  etdi sign tools/*.json --key keys/private.jwk --in-place     # versions from ./etdi.json`,
  );
  signCommand.action(
    async (
      paths: string[],
      opts: {
        key: string;
        iss?: string;
        ver?: string;
        sidecar?: string | false;
        perms?: string[];
        expires?: number;
        out?: string;
        inPlace?: boolean;
      } & FormatFlags,
    ) => {
      setExitCode(
        await sign(
          {
            paths,
            key: opts.key,
            ...(opts.ver === undefined ? {} : { ver: opts.ver }),
            ...(opts.sidecar === undefined ? {} : { sidecar: opts.sidecar }),
            ...(opts.iss === undefined ? {} : { iss: opts.iss }),
            ...(opts.perms === undefined ? {} : { perms: opts.perms }),
            ...(opts.expires === undefined ? {} : { expiresSec: opts.expires }),
            ...(opts.out === undefined ? {} : { out: opts.out }),
            inPlace: opts.inPlace ?? false,
            format: resolveFormat(opts),
          },
          io,
        ),
      );
    },
  );

  const verifyCommand = program
    .command('verify')
    .description('verify signed tool definitions against trust JWKS files, a registry, pins')
    .argument('[path...]', 'JSON files, or directories of *.json files');
  addTrustOptions(verifyCommand);
  for (const o of formatOptions(VERIFY_FORMATS)) verifyCommand.addOption(o);
  verifyCommand.addHelpText(
    'after',
    `
Examples:
  etdi verify signed/ --jwks keys/jwks.json
  etdi verify signed/ --registry https://registry.example.com --format sarif > etdi.sarif
  etdi verify scanned.json --jwks ops.jwks.json --signed-tools trusted/ --provider com.acme`,
  );
  verifyCommand.action(async (paths: string[], opts: TrustOptionValues & FormatFlags) => {
    setExitCode(
      await verify({ paths, ...trustFlags(opts), format: resolveFormat<VerifyFormat>(opts) }, io),
    );
  });

  const scanCommand = program
    .command('scan')
    .description("list a live MCP server's tools (SDK client, HTTP or stdio) and verify them")
    .argument('[command...]', 'with --stdio: the server command and its arguments, after --')
    .option('--url <url>', 'a Streamable HTTP MCP endpoint, e.g. http://127.0.0.1:3000/mcp')
    .option(
      '--header <name:value>',
      'an HTTP header for --url (repeatable; never printed)',
      repeated,
    )
    .option('--stdio', 'start the server command given after -- and speak MCP over its stdio')
    .option('--out <file>', 'write the listed tools as a tools/list result (to review and sign)')
    .option('--timeout <duration>', 'connect and request timeout', duration('--timeout'), 30);
  addTrustOptions(scanCommand);
  for (const o of formatOptions(VERIFY_FORMATS)) scanCommand.addOption(o);
  scanCommand.addHelpText(
    'after',
    `
Examples:
  etdi scan --url http://127.0.0.1:3000/mcp --jwks keys/jwks.json --format junit > scan.xml
  etdi scan --stdio --out reviewed.json -- npx -y @modelcontextprotocol/server-everything
  etdi scan --stdio --jwks ops.jwks.json --signed-tools trusted/ --provider com.acme -- node server.js`,
  );
  scanCommand.action(
    async (
      command: string[],
      opts: TrustOptionValues &
        FormatFlags & {
          url?: string;
          header?: string[];
          stdio?: boolean;
          out?: string;
          timeout: number;
        },
    ) => {
      if (command.length > 0 && !opts.stdio) {
        throw new CliError('usage', `Unexpected arguments: ${command.join(' ')}`, {
          hint: 'A server command goes after --stdio --, e.g. etdi scan --stdio -- node server.js',
        });
      }
      if (opts.stdio && command.length === 0) {
        throw new CliError('usage', '--stdio needs the server command after --', {
          hint: 'e.g. etdi scan --stdio --jwks keys/jwks.json -- node server.js',
        });
      }
      setExitCode(
        await (
          await import('./commands/scan.js')
        ).scan(
          {
            ...trustFlags(opts),
            ...(opts.url === undefined ? {} : { url: opts.url }),
            ...(opts.header === undefined ? {} : { headers: opts.header }),
            ...(opts.stdio ? { stdio: command } : {}),
            ...(opts.out === undefined ? {} : { out: opts.out }),
            timeoutMs: opts.timeout * 1000,
            format: resolveFormat<VerifyFormat>(opts),
          },
          io,
        ),
      );
    },
  );

  const inspectCommand = program
    .command('inspect')
    .description('show a signed tool: header, claims, recomputed digest, key, dates')
    .argument('<path...>', 'JSON files, or directories of *.json files')
    .option('--jwks <file|url...>', 'trust JWKS files or URLs to find each signing key in');
  for (const o of formatOptions()) inspectCommand.addOption(o);
  inspectCommand.addHelpText(
    'after',
    `
Example:
  etdi inspect signed/memory.json --jwks keys/jwks.json`,
  );
  inspectCommand.action(async (paths: string[], opts: { jwks?: string[] } & FormatFlags) => {
    setExitCode(
      await (
        await import('./commands/inspect.js')
      ).inspect({ paths, jwks: opts.jwks, format: resolveFormat(opts) }, io),
    );
  });

  const diffCommand = program
    .command('diff')
    .description('compare two tool lists: added, removed, changed; flags rug pulls and widenings')
    .argument('<old>', 'the old tool list: a file or a directory of *.json files')
    .argument('<new>', 'the new tool list');
  for (const o of formatOptions()) diffCommand.addOption(o);
  diffCommand.addHelpText(
    'after',
    `
Examples:
  etdi diff reviewed.json today.json               # exit 1 on a rug pull or a permission widening
  etdi diff signed-v1/ signed-v2/ --format json`,
  );
  diffCommand.action(async (oldPath: string, newPath: string, opts: FormatFlags) => {
    setExitCode(
      await (
        await import('./commands/diff.js')
      ).diffTools({ old: [oldPath], new: [newPath], format: resolveFormat(opts) }, io),
    );
  });

  const certs = program.command('certs').description('development certificates for TLS and mTLS');
  const certsInitCommand = certs
    .command('init')
    .description(
      'write a development CA, a server certificate (localhost) and a client certificate',
    )
    .requiredOption('--out <dir>', 'directory for ca.pem, server.pem, client.pem and their keys')
    .option('--days <days>', 'lifetime of the certificates in days', (v) => Number(v), 365)
    .option('--dns <name>', 'another DNS name for the server certificate (repeatable)', repeated)
    .option('--client-name <cn>', 'common name of the client certificate', 'etdi-dev-client')
    .option('--force', 'replace existing files');
  for (const o of formatOptions()) certsInitCommand.addOption(o);
  certsInitCommand.addHelpText(
    'after',
    `
Example:
  etdi certs init --out .demo/tls`,
  );
  certsInitCommand.action(
    async (
      opts: {
        out: string;
        days: number;
        dns?: string[];
        clientName: string;
        force?: boolean;
      } & FormatFlags,
    ) => {
      setExitCode(
        await (
          await import('./commands/certs-init.js')
        ).certsInit(
          {
            out: opts.out,
            days: opts.days,
            ...(opts.dns === undefined ? {} : { dnsNames: opts.dns }),
            clientName: opts.clientName,
            force: opts.force ?? false,
            format: resolveFormat(opts),
          },
          io,
        ),
      );
    },
  );

  // Registry commands: --registry (or ETDI_REGISTRY_URL) and --api-key (or ETDI_API_KEY).
  const registryCommand = (parent: Command, name: string, description: string) => {
    const command = parent
      .command(name)
      .description(description)
      .option('--registry <url>', 'the registry (default: $ETDI_REGISTRY_URL)')
      .option(
        '--api-key <key>',
        'an admin or publisher API key (default: $ETDI_API_KEY; never printed)',
      );
    for (const o of formatOptions()) command.addOption(o);
    return command;
  };
  type RegistryFlags = { registry?: string; apiKey?: string } & FormatFlags;
  const registryFlags = (o: RegistryFlags) => ({
    registry: o.registry,
    apiKey: o.apiKey,
    format: resolveFormat(o),
  });

  const provider = program.command('provider').description('registry providers (namespaces)');
  registryCommand(provider, 'create', 'create a provider namespace at the registry (admin)')
    .argument('<iss>', 'provider id, e.g. com.acme')
    .addHelpText(
      'after',
      '\nExample:\n  etdi provider create com.acme --registry http://127.0.0.1:4000 --api-key "$ADMIN_KEY"',
    )
    .action(async (iss: string, o: RegistryFlags) => {
      setExitCode(
        await (
          await import('./commands/registry/provider-create.js')
        ).providerCreate({ iss, ...registryFlags(o) }, io),
      );
    });

  const apiKey = program.command('api-key').description('registry API keys');
  registryCommand(
    apiKey,
    'create',
    'issue a publisher API key for a provider (admin); printed once',
  )
    .argument('<iss>', 'the provider the key publishes for')
    .option('--name <label>', 'a label for the key')
    .option('--expires <duration>', 'key lifetime, e.g. 90d', duration('--expires'))
    .addHelpText(
      'after',
      '\nExample:\n  etdi api-key create com.acme --name ci --expires 90d --registry http://127.0.0.1:4000 --api-key $ADMIN_KEY',
    )
    .action(async (iss: string, o: RegistryFlags & { name?: string; expires?: number }) => {
      setExitCode(
        await (
          await import('./commands/registry/api-key-create.js')
        ).apiKeyCreate(
          {
            iss,
            ...registryFlags(o),
            ...(o.name === undefined ? {} : { name: o.name }),
            ...(o.expires === undefined ? {} : { expiresSec: o.expires }),
          },
          io,
        ),
      );
    });

  const keys = program.command('keys').description('provider signing keys at the registry');
  registryCommand(keys, 'push', 'add the keys of a trust JWKS to their provider (publisher)')
    .argument('<jwks>', 'the jwks.json written by etdi keygen')
    .option('--iss <provider>', "the provider (default: the keys' iss)")
    .addHelpText(
      'after',
      '\nExample:\n  etdi keys push keys/jwks.json --registry http://127.0.0.1:4000   # ETDI_API_KEY set',
    )
    .action(async (jwks: string, o: RegistryFlags & { iss?: string }) => {
      setExitCode(
        await (
          await import('./commands/registry/keys-push.js')
        ).keysPush(
          { jwks, ...registryFlags(o), ...(o.iss === undefined ? {} : { iss: o.iss }) },
          io,
        ),
      );
    });
  registryCommand(
    keys,
    'retire',
    'retire a key: it keeps verifying what it signed before --not-after',
  )
    .argument('<kid>', 'the key id')
    .option('--not-after <date-time>', 'end of its validity (default: now)')
    .addHelpText(
      'after',
      '\nExample:\n  etdi keys retire mUx_H62uloTLNjUOX8y42o6r1tUisUoEu-1fC4sjL4Y --registry http://127.0.0.1:4000',
    )
    .action(async (kid: string, o: RegistryFlags & { notAfter?: string }) => {
      setExitCode(
        await (
          await import('./commands/registry/keys-status.js')
        ).keysSetStatus(
          {
            kid,
            status: 'retired',
            ...registryFlags(o),
            ...(o.notAfter === undefined ? {} : { notAfter: o.notAfter }),
          },
          io,
        ),
      );
    });
  registryCommand(keys, 'revoke', 'revoke a key: nothing it signed verifies any more')
    .argument('<kid>', 'the key id')
    .addHelpText(
      'after',
      '\nExample:\n  etdi keys revoke mUx_H62uloTLNjUOX8y42o6r1tUisUoEu-1fC4sjL4Y --registry http://127.0.0.1:4000',
    )
    .action(async (kid: string, o: RegistryFlags) => {
      setExitCode(
        await (
          await import('./commands/registry/keys-status.js')
        ).keysSetStatus({ kid, status: 'revoked', ...registryFlags(o) }, io),
      );
    });

  registryCommand(
    program,
    'publish',
    'publish signed tools to the registry, all or nothing (publisher)',
  )
    .argument('<path...>', 'files or directories of signed tools')
    .addHelpText(
      'after',
      '\nExample:\n  etdi publish signed/ --registry http://127.0.0.1:4000   # exit 1: rug-pull or a rejected tool',
    )
    .action(async (paths: string[], o: RegistryFlags) => {
      setExitCode(
        await (
          await import('./commands/registry/publish.js')
        ).publish({ paths, ...registryFlags(o) }, io),
      );
    });

  registryCommand(
    program,
    'revoke',
    'revoke a key, a tool, a version or a content digest (publisher)',
  )
    .option('--kid <kid>', 'a signing key')
    .option('--tool <iss/name[@ver]>', 'a tool (every version) or one version')
    .option('--digest <dig>', 'one exact content')
    .requiredOption('--reason <text>', 'why (shown to verifiers)')
    .addHelpText(
      'after',
      '\nExample:\n  etdi revoke --tool com.acme/read_file@1.0.0 --reason "leaks paths" --registry http://127.0.0.1:4000',
    )
    .action(
      async (
        o: RegistryFlags & { kid?: string; tool?: string; digest?: string; reason: string },
      ) => {
        setExitCode(
          await (
            await import('./commands/registry/revoke.js')
          ).revoke(
            {
              ...registryFlags(o),
              reason: o.reason,
              ...(o.kid === undefined ? {} : { kid: o.kid }),
              ...(o.tool === undefined ? {} : { tool: o.tool }),
              ...(o.digest === undefined ? {} : { digest: o.digest }),
            },
            io,
          ),
        );
      },
    );

  registryCommand(program, 'fetch', 'download a signed tool from the registry, byte for byte')
    .argument('<tool>', 'ISS/NAME (latest version) or ISS/NAME@VER')
    .option('--out <file>', 'write it to a file instead of stdout')
    .addHelpText(
      'after',
      '\nExample:\n  etdi fetch com.acme/read_file@1.0.0 --out read_file.json --registry http://127.0.0.1:4000',
    )
    .action(async (tool: string, o: RegistryFlags & { out?: string }) => {
      setExitCode(
        await (
          await import('./commands/registry/fetch.js')
        ).fetchTool(
          { tool, ...registryFlags(o), ...(o.out === undefined ? {} : { out: o.out }) },
          io,
        ),
      );
    });

  program
    .command('canonicalize')
    .description('print the RFC 8785 (JCS) canonical form of a JSON file, with no trailing newline')
    .argument('<file>', 'a JSON file')
    .addHelpText('after', '\nExample:\n  etdi canonicalize tool.json | sha256sum')
    .action(async (file: string) => {
      setExitCode(await canonicalizeFile({ file }, io));
    });

  return program;
}

function report(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CliError) {
    io.stderr.write(
      `error: ${printable(error.message)}\n` +
        // A hint may span lines (a server's stderr): each line is escaped on its own.
        (error.hint ? `hint: ${error.hint.split('\n').map(printable).join('\n  ')}\n` : ''),
    );
  } else if (error instanceof EtdiError) {
    io.stderr.write(`error: ${error.code}: ${printable(error.message)}\n`);
  } else {
    // A bug, not a user mistake: the stack is what a bug report needs.
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`internal error (please report it): ${detail}\n`);
  }
  return ExitCode.usage;
}

/**
 * Runs one `etdi` command line and resolves to its exit code; never calls `process.exit`, so
 * pending output is flushed and tests can run many command lines in one process.
 *
 * @param argv the arguments after the program name, e.g. `['verify', 'signed', '--jwks', 'k.json']`
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: ExitCode = ExitCode.ok;
  const program = createProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    // --help and --version end parsing with a CommanderError of exit code 0; every other one
    // (unknown option, missing argument, bad choice) is a usage error, already printed.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    return report(error, io);
  }
}
