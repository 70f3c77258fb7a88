import { join, resolve } from 'node:path';
import {
  assertProviderId,
  buildTrustJwks,
  EtdiError,
  generateKeyPair,
  type SigningAlgorithm,
} from '@etdi/core';
import { CliError, ExitCode } from '../errors.js';
import { makeDirectory, pathExists, writeFileAtomic } from '../files.js';
import { formatJson, type OutputFormat } from '../format.js';
import type { CliIo } from '../io.js';

/** The private key file `etdi keygen` writes into its `--out` directory. */
export const PRIVATE_KEY_FILE = 'private.jwk';
/** The trust JWKS file `etdi keygen` writes next to the private key. */
export const JWKS_FILE = 'jwks.json';

/** Options of {@link keygen}, one per flag of `etdi keygen`. */
export interface KeygenOptions {
  /** Signing algorithm. */
  alg: SigningAlgorithm;
  /** Provider the key signs for; written into both files. */
  iss: string;
  /** Directory to write `private.jwk` and `jwks.json` into; created if missing. */
  out: string;
  /** Replace existing key files. */
  force?: boolean;
  format?: OutputFormat;
}

/**
 * `etdi keygen`: generates a key pair bound to a provider and writes `private.jwk` (mode 0600)
 * and `jwks.json`, the trust JWKS verifiers load. Refuses to replace existing files unless
 * `force` is set, because losing a private key cannot be undone.
 *
 * @example
 * await keygen({ alg: 'EdDSA', iss: 'com.acme', out: 'keys' }, processIo());
 */
export async function keygen(options: KeygenOptions, io: CliIo): Promise<ExitCode> {
  try {
    assertProviderId(options.iss);
  } catch (error) {
    if (error instanceof EtdiError) throw new CliError('usage', `--iss: ${error.message}`);
    throw error;
  }
  const dir = resolve(io.cwd, options.out);
  const files = {
    privateKey: { path: join(dir, PRIVATE_KEY_FILE), display: join(options.out, PRIVATE_KEY_FILE) },
    jwks: { path: join(dir, JWKS_FILE), display: join(options.out, JWKS_FILE) },
  };
  if (!options.force) {
    // Both are checked before anything is written, so a refusal leaves no half-made pair.
    for (const f of [files.privateKey, files.jwks]) {
      if (await pathExists(f.path)) {
        throw new CliError('file-exists', `${f.display} already exists; refusing to overwrite it`, {
          hint:
            'Choose another --out directory, or pass --force to replace the files (tools signed ' +
            'with the old key then stop verifying once verifiers load the new jwks.json)',
        });
      }
    }
  }
  // 0700: a directory created for a private key should not be listable by others.
  await makeDirectory(dir, options.out, 0o700);
  const pair = await generateKeyPair(options.alg, { iss: options.iss });
  const jwks = await buildTrustJwks([{ jwk: pair.publicJwk, iss: options.iss }]);
  await writeFileAtomic(files.privateKey.path, formatJson(pair.privateJwk), { mode: 0o600 });
  await writeFileAtomic(files.jwks.path, formatJson(jwks));

  if (options.format === 'json') {
    io.stdout.write(
      formatJson({
        alg: pair.alg,
        kid: pair.kid,
        iss: options.iss,
        privateKey: files.privateKey.display,
        jwks: files.jwks.display,
      }),
    );
  } else {
    io.stdout.write(
      `Generated an ${pair.alg} key for ${options.iss} (kid ${pair.kid})\n` +
        `  private key: ${files.privateKey.display} (mode 0600: keep it secret, never commit it)\n` +
        `  trust JWKS:  ${files.jwks.display} (give it to verifiers: etdi verify --jwks)\n`,
    );
  }
  return ExitCode.ok;
}
