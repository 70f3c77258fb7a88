import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { generateApiKey } from '@etdi/auth';
import {
  errorMessage,
  generateKeyPair,
  importSigningKey,
  type PrivateJwk,
  type SigningKey,
} from '@etdi/core';
import { Command, CommanderError, Option } from 'commander';
import type { FastifyInstance } from 'fastify';
import { buildRegistry } from '../build-registry.js';
import { RegistryError } from '../errors.js';
import { openStore } from '../store/open-store.js';
import { registryVersion } from '../version.js';
import {
  CLI_DEFAULTS,
  durationSec,
  loadRegistryConfig,
  type RegistryConfig,
} from './registry-config.js';

/** Where the command line reads and writes. */
export interface RegistryCliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
}

/** Exit codes: 0 success, 1 the registry failed (store down, port taken), 2 usage or configuration. */
export type RegistryExitCode = 0 | 1 | 2;

interface StoreFlags {
  db?: string;
  dbSchema?: string;
  config?: string;
}

interface ServeFlags extends StoreFlags {
  host?: string;
  port?: string;
  id?: string;
  key?: string;
  adminKeyFile?: string;
  publicUrl?: string;
  logLevel?: string;
  dev?: boolean;
}

/** A running registry started by the command line. */
export interface RunningRegistry {
  readonly app: FastifyInstance;
  /** Closes the server (in-flight requests finish) and the store. */
  close(): Promise<void>;
}

const isPostgres = (db: string) => /^postgres(ql)?:\/\//i.test(db);

function usage(message: string): RegistryError {
  return new RegistryError('invalid-config', message);
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw usage(
      `Cannot read the ${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? errorMessage(cause)}`,
    );
  }
}

async function writeSecret(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

async function loadSigningKey(path: string): Promise<SigningKey> {
  const text = await readText(path, 'registry key file');
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    // Never echo the file: it holds a private key.
    throw usage(
      `The registry key file ${path} is not JSON (expected a private JWK, as etdi keygen writes it)`,
    );
  }
  try {
    return await importSigningKey(jwk as PrivateJwk);
  } catch (cause) {
    throw usage(
      `The registry key file ${path} is not a usable private key: ${errorMessage(cause)}`,
    );
  }
}

async function settingsOf(flags: StoreFlags) {
  const config: RegistryConfig = flags.config ? await loadRegistryConfig(flags.config) : {};
  const db = flags.db ?? config.db ?? CLI_DEFAULTS.db;
  const dbSchema = flags.dbSchema ?? config.dbSchema;
  return { config, db, dbSchema };
}

/** `etdi-registry migrate`: applies pending migrations and says what it did. */
async function migrate(flags: StoreFlags, io: RegistryCliIo): Promise<RegistryExitCode> {
  const { db, dbSchema } = await settingsOf(flags);
  const store = openStore(db, dbSchema === undefined ? {} : { schema: dbSchema });
  try {
    const { applied, version } = await store.migrate();
    io.stdout.write(
      `${JSON.stringify({ store: isPostgres(db) ? 'postgres' : 'sqlite', version, applied })}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** Starts the registry; resolves once it listens. */
export async function serveRegistry(
  flags: ServeFlags,
  io: RegistryCliIo,
): Promise<RunningRegistry> {
  const { config, db, dbSchema } = await settingsOf(flags);
  const host = flags.host ?? config.host ?? CLI_DEFAULTS.host;
  const portText = flags.port ?? (config.port === undefined ? undefined : String(config.port));
  const port = portText === undefined ? CLI_DEFAULTS.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usage(`--port ${portText} is not a port number`);
  const id = flags.id ?? config.id ?? CLI_DEFAULTS.id;
  const dataDir = isPostgres(db) ? './data' : dirname(db);
  let keyFile = flags.key ?? config.key;
  let adminKeyFile = flags.adminKeyFile ?? config.adminKeyFile;
  const notes: string[] = [];
  if (flags.dev) {
    keyFile ??= join(dataDir, 'registry-key.jwk');
    if (!(await exists(keyFile))) {
      const pair = await generateKeyPair('EdDSA', { iss: id });
      await writeSecret(keyFile, `${JSON.stringify(pair.privateJwk, null, 2)}\n`);
      notes.push(`created the registry signing key ${keyFile} (kid ${pair.kid})`);
    }
    if (io.env.ETDI_REGISTRY_ADMIN_KEY === undefined) {
      adminKeyFile ??= join(dataDir, 'admin-key');
      if (!(await exists(adminKeyFile))) {
        await writeSecret(adminKeyFile, `${generateApiKey()}\n`);
        notes.push(`created an admin API key in ${adminKeyFile}`);
      }
    }
  }
  if (keyFile === undefined) {
    throw usage(
      'The registry needs its signing key: --key FILE (a private JWK: etdi keygen --iss ' +
        `${id} --out keys), ETDI_REGISTRY_KEY, or --dev to create one`,
    );
  }
  const signingKey = await loadSigningKey(keyFile);
  const adminKeys: string[] = [];
  if (io.env.ETDI_REGISTRY_ADMIN_KEY) adminKeys.push(io.env.ETDI_REGISTRY_ADMIN_KEY.trim());
  if (adminKeyFile !== undefined)
    adminKeys.push((await readText(adminKeyFile, 'admin key file')).trim());
  if (adminKeys.length === 0) {
    io.stderr.write(
      'warning: no admin API key (ETDI_REGISTRY_ADMIN_KEY or --admin-key-file): admin routes refuse every request\n',
    );
  }
  const rate = config.rateLimit;
  const store = openStore(db, dbSchema === undefined ? {} : { schema: dbSchema });
  let app: FastifyInstance;
  try {
    await store.migrate();
    app = await buildRegistry({
      store,
      id,
      signingKey,
      adminKeys,
      migrate: false,
      logger: {
        level: flags.logLevel ?? config.logLevel ?? CLI_DEFAULTS.logLevel,
        redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
      },
      ...(io.env.ETDI_REGISTRY_API_KEY_PEPPER
        ? { apiKeyPepper: io.env.ETDI_REGISTRY_API_KEY_PEPPER }
        : {}),
      ...((flags.publicUrl ?? config.publicUrl) === undefined
        ? {}
        : { publicUrl: (flags.publicUrl ?? config.publicUrl)! }),
      ...(config.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: config.bodyLimitBytes }),
      ...(rate === undefined
        ? {}
        : {
            rateLimit:
              rate === false
                ? false
                : { max: rate.max, windowMs: durationSec(rate.window, '/rateLimit/window') * 1000 },
          }),
      ...(config.revocationLifetime === undefined
        ? {}
        : { revocationLifetimeSec: durationSec(config.revocationLifetime, '/revocationLifetime') }),
      ...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    throw error;
  }
  if (flags.dev) {
    const address = app.server.address();
    const url =
      address !== null && typeof address === 'object'
        ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
        : `http://${host}:${port}`;
    io.stderr.write(
      [
        `etdi-registry ${registryVersion()} (dev) on ${url}`,
        ...notes.map((n) => `  ${n}`),
        `  store: ${isPostgres(db) ? 'PostgreSQL' : db}`,
        `  registry id: ${id}, signing key kid ${signingKey.kid}`,
        ...(adminKeyFile ? [`  admin API key: ${adminKeyFile}`] : []),
        'Try it:',
        `  export ETDI_REGISTRY_URL=${url}`,
        ...(adminKeyFile ? [`  export ETDI_API_KEY="$(cat ${adminKeyFile})"`] : []),
        '  curl -s -X POST "$ETDI_REGISTRY_URL/v1/providers" -H "Authorization: Bearer $ETDI_API_KEY" \\',
        `    -H 'content-type: application/json' -d '{"iss":"com.example"}'`,
        '',
      ].join('\n'),
    );
  }
  return { app, close: () => app.close() };
}

/**
 * Builds the `etdi-registry` program: `etdi-registry [serve]` (the default) and
 * `etdi-registry migrate`. Each flag has an `ETDI_REGISTRY_*` environment variable; a flag wins
 * over its variable, which wins over the configuration file.
 */
export function createRegistryProgram(
  io: RegistryCliIo,
  onServe: (running: RunningRegistry) => void,
  setExitCode: (code: RegistryExitCode) => void,
): Command {
  const program = new Command('etdi-registry')
    .description(
      'The ETDI registry: publish and serve signed MCP tool definitions, keys and revocations.',
    )
    .version(registryVersion(), '-V, --version', 'print the version')
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  const storeOptions = () => [
    new Option(
      '--db <path|url>',
      `SQLite file or postgres:// URL (default ${CLI_DEFAULTS.db})`,
    ).env('ETDI_REGISTRY_DB'),
    new Option('--db-schema <name>', 'PostgreSQL schema of the tables').env(
      'ETDI_REGISTRY_DB_SCHEMA',
    ),
    new Option('--config <file>', 'configuration file (YAML or JSON)').env('ETDI_REGISTRY_CONFIG'),
  ];
  const serve = program
    .command('serve', { isDefault: true })
    .description('run the registry (migrates the store first)')
    .addOption(
      new Option('--host <host>', `address to listen on (default ${CLI_DEFAULTS.host})`).env(
        'ETDI_REGISTRY_HOST',
      ),
    )
    .addOption(
      new Option('--port <port>', `port, 0 for any (default ${CLI_DEFAULTS.port})`).env(
        'ETDI_REGISTRY_PORT',
      ),
    )
    .addOption(
      new Option('--id <provider-id>', `the registry's id (default ${CLI_DEFAULTS.id})`).env(
        'ETDI_REGISTRY_ID',
      ),
    )
    .addOption(
      new Option('--key <file>', 'the registry signing key: a private JWK').env(
        'ETDI_REGISTRY_KEY',
      ),
    )
    .addOption(
      new Option(
        '--admin-key-file <file>',
        'file holding the admin API key (or ETDI_REGISTRY_ADMIN_KEY)',
      ).env('ETDI_REGISTRY_ADMIN_KEY_FILE'),
    )
    .addOption(
      new Option('--public-url <url>', 'absolute URL clients reach the registry at').env(
        'ETDI_REGISTRY_PUBLIC_URL',
      ),
    )
    .addOption(
      new Option('--log-level <level>', 'info (default), debug, warn, error, silent').env(
        'ETDI_REGISTRY_LOG_LEVEL',
      ),
    )
    .option('--dev', 'embedded SQLite; create a signing key and an admin key if none exist')
    .addHelpText(
      'after',
      '\nExample:\n  etdi-registry --dev\n  ETDI_REGISTRY_ADMIN_KEY=... etdi-registry --db postgres://registry@db/etdi --key registry.jwk --id registry.example\n',
    );
  for (const o of storeOptions()) serve.addOption(o);
  serve.action(async (flags: ServeFlags) => {
    onServe(await serveRegistry(flags, io));
    setExitCode(0);
  });
  const migrateCommand = program
    .command('migrate')
    .description('apply pending schema migrations and exit')
    .addHelpText('after', '\nExample:\n  etdi-registry migrate --db postgres://registry@db/etdi\n');
  for (const o of storeOptions()) migrateCommand.addOption(o);
  migrateCommand.action(async (flags: StoreFlags) => {
    setExitCode(await migrate(flags, io));
  });
  return program;
}

/**
 * Runs the command line: the exit code for `migrate` and usage errors; for `serve`, 0 once the
 * registry listens (it keeps running; `onServe` receives it to stop it).
 */
export async function runRegistryCli(
  argv: readonly string[],
  io: RegistryCliIo,
  onServe: (running: RunningRegistry) => void = () => {},
): Promise<RegistryExitCode> {
  let code: RegistryExitCode = 0;
  const program = createRegistryProgram(io, onServe, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof RegistryError && error.code === 'invalid-config') {
      io.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`error: ${errorMessage(error)}\n`);
    return 1;
  }
}
