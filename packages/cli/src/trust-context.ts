import {
  EtdiError,
  TrustStore,
  Verifier,
  verifyRevocationList,
  type MemoryPinStore,
  type RevocationList,
  type TrustJwks,
} from '@etdi/core';
import { SignedToolIndex, type AttestOptions, type SignedCopySource } from './attested.js';
import { CliError } from './errors.js';
import { collectJsonFiles, parseJsonText, readJsonFile } from './files.js';
import type { CliIo } from './io.js';
import { loadPins, savePins } from './pins-file.js';
import { RegistryClient, type RegistryInfo } from './registry-client.js';
import { isUrl, readSource } from './sources.js';
import { toolName, toolPointer, toToolDocument } from './tool-document.js';

/** The trust flags `etdi verify` and `etdi scan` share. */
export interface TrustFlags {
  /** `--jwks`: trust JWKS files or URLs. */
  readonly jwks?: readonly string[] | undefined;
  /** `--registry`: its provider keys, its revocation list and (with `--provider`) signed copies. */
  readonly registry?: string | undefined;
  /** `--revocations`: a registry-signed revocation list, file or URL. */
  readonly revocations?: string | undefined;
  /** `--pins`: approved definitions (enables rug-pull, rollback, reapproval-required). */
  readonly pins?: string | undefined;
  /** `--update-pins`: write first-use approvals and upgrades back to the pins file. */
  readonly updatePins?: boolean | undefined;
  /** `--signed-tools`: files or directories of signed copies (attested). */
  readonly signedTools?: readonly string[] | undefined;
  /** `--provider`: providers allowed to attest unsigned tools. */
  readonly providers?: readonly string[] | undefined;
  /** `--max-age`, in seconds. */
  readonly maxAgeSec?: number | undefined;
}

/** Everything verification needs, loaded once per run. */
export interface TrustContext {
  readonly verifier: Verifier;
  /** Attested lookup; undefined when no `--provider` was given. */
  readonly attest: AttestOptions | undefined;
  /** Writes the pins back when `--update-pins` asked for it; returns how many it wrote. */
  savePins(): Promise<number | undefined>;
}

const JWKS_HINT = 'Pass the jwks.json written by `etdi keygen` (a JWKS whose keys carry "iss")';

async function addJwks(trust: TrustStore, doc: unknown, source: string, io: CliIo): Promise<void> {
  if (doc !== null && typeof doc === 'object' && Object.hasOwn(doc, 'd')) {
    throw new CliError('invalid-jwks', `${source} is a private key, not a trust JWKS`, {
      hint: `${JWKS_HINT}; never hand a private key to a verifier`,
    });
  }
  try {
    await trust.addJwks(doc, { source });
  } catch (error) {
    if (error instanceof EtdiError) {
      throw new CliError('invalid-jwks', error.message, { hint: JWKS_HINT, cause: error });
    }
    throw error;
  }
  for (const key of (doc as TrustJwks).keys) {
    if (key.iss === undefined) {
      io.stderr.write(
        `warning: key ${key.kid ?? '(no kid)'} in ${source} carries no "iss", so it verifies no ` +
          'tool; give it the provider it signs for\n',
      );
    }
  }
}

/** A trust store of the keys of `--jwks` files and URLs; each key remembers its source. */
export async function loadJwks(sources: readonly string[], io: CliIo): Promise<TrustStore> {
  const trust = new TrustStore();
  for (const source of sources) {
    const text = await readSource(source, io.cwd, '--jwks');
    // Parsed as a secret: a private key passed here by mistake must not be quoted in an error.
    await addJwks(trust, parseJsonText(text, source, { secret: !isUrl(source) }), source, io);
  }
  return trust;
}

/** The `kid` of a compact JWS's protected header, read without verifying anything. */
function headerKid(jws: string): string | undefined {
  try {
    const header = JSON.parse(
      Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8'),
    ) as {
      kid?: unknown;
    };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

async function loadRevocations(
  text: string,
  source: string,
  trust: TrustStore,
  registry: { info: RegistryInfo; keys: TrustStore } | undefined,
): Promise<RevocationList> {
  const jws = text.trim();
  let issuer: string;
  let keys: TrustStore;
  if (registry) {
    issuer = registry.info.id;
    keys = registry.keys;
  } else {
    const kid = headerKid(jws);
    const key = kid === undefined ? undefined : trust.get(kid);
    if (!key?.iss) {
      throw new CliError(
        'invalid-revocation-list',
        `The revocation list ${source} is signed by ${kid === undefined ? 'no key id' : `key ${kid}`}, which no --jwks binds to a registry`,
        {
          hint: 'Pass --registry URL, or the registry\'s JWKS ("keys" of /.well-known/etdi-registry) with --jwks',
        },
      );
    }
    issuer = key.iss;
    keys = trust;
  }
  try {
    // An expired list is kept: the verifier then fails every tool as `stale`, as a gateway would.
    return await verifyRevocationList(jws, { trust: keys, issuer, allowExpired: true });
  } catch (error) {
    if (error instanceof EtdiError) {
      throw new CliError('invalid-revocation-list', `${source}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Signed copies from the registry: `GET /v1/digests/{dig}` and `GET /v1/tools/{iss}/{name}`. */
class RegistryCopies implements SignedCopySource {
  readonly #client: RegistryClient;
  readonly #digests = new Map<string, Promise<readonly unknown[]>>();
  readonly #versions = new Map<string, Promise<boolean>>();
  constructor(client: RegistryClient) {
    this.#client = client;
  }

  byDigest(dig: string): Promise<readonly unknown[]> {
    let p = this.#digests.get(dig);
    if (!p) {
      p = (async () => {
        const r = await this.#client.get(['v1', 'digests', dig]);
        if (r.status === 404) return [];
        if (r.status !== 200) throw this.#client.fail(r, `GET /v1/digests/${dig}`);
        const tools = (this.#client.json(r, 'GET /v1/digests') as { tools?: unknown } | null)
          ?.tools;
        return Array.isArray(tools) ? tools : [];
      })();
      this.#digests.set(dig, p);
    }
    return p;
  }

  hasVersions(iss: string, name: string): Promise<boolean> {
    const key = JSON.stringify([iss, name]);
    let p = this.#versions.get(key);
    if (!p) {
      p = (async () => {
        const r = await this.#client.get(['v1', 'tools', iss, name]);
        if (r.status === 404) return false;
        if (r.status !== 200) throw this.#client.fail(r, `GET /v1/tools/${iss}/${name}`);
        return true;
      })();
      this.#versions.set(key, p);
    }
    return p;
  }
}

async function loadSignedTools(paths: readonly string[], cwd: string): Promise<SignedToolIndex> {
  const index = new SignedToolIndex();
  for (const file of await collectJsonFiles(paths, cwd)) {
    const doc = toToolDocument(await readJsonFile(file.display, cwd), file.display);
    for (const [i, tool] of doc.tools.entries()) {
      if (!index.add(tool)) {
        const name = toolName(tool);
        throw new CliError(
          'invalid-input',
          `--signed-tools ${file.display}${toolPointer(doc, i)}${name === undefined ? '' : ` (${JSON.stringify(name)})`} is not a signed tool`,
          {
            hint: 'Pass the files `etdi sign` wrote: every tool in them carries _meta["io.etdi/signature"]',
          },
        );
      }
    }
  }
  return index;
}

/** Whether any trust source was named; `scan` without one only lists tools. */
export function hasTrust(flags: TrustFlags): boolean {
  return (flags.jwks?.length ?? 0) > 0 || flags.registry !== undefined;
}

/**
 * Loads the trust of one run from its flags: JWKS files and URLs, the registry (its provider
 * keys, its revocation list, signed copies by digest), a revocation list, pins and signed copies.
 * Every problem is a configuration error (exit 2) before any tool is verified.
 */
export async function loadTrustContext(flags: TrustFlags, io: CliIo): Promise<TrustContext> {
  const providers = flags.providers ?? [];
  const signedTools = flags.signedTools ?? [];
  if (!hasTrust(flags)) {
    throw new CliError('usage', 'No trust source: nothing to verify against', {
      hint: 'Pass --jwks FILE|URL (a trust JWKS) or --registry URL',
    });
  }
  if (signedTools.length > 0 && providers.length === 0) {
    throw new CliError('usage', '--signed-tools needs --provider: who may attest these tools?', {
      hint: 'Name the providers whose signed copies count, e.g. --provider com.acme',
    });
  }
  if (providers.length > 0 && signedTools.length === 0 && flags.registry === undefined) {
    throw new CliError(
      'usage',
      '--provider needs signed copies to match: --signed-tools or --registry',
      {
        hint: 'Pass the files `etdi sign` wrote with --signed-tools, or a registry with --registry',
      },
    );
  }
  if (flags.updatePins && flags.pins === undefined) {
    throw new CliError('usage', '--update-pins needs --pins FILE', {
      hint: 'Name the pins file to write',
    });
  }

  const trust = await loadJwks(flags.jwks ?? [], io);
  let registry: { client: RegistryClient; info: RegistryInfo; keys: TrustStore } | undefined;
  if (flags.registry !== undefined) {
    const client = RegistryClient.from({ registry: flags.registry }, io);
    const info = await client.info();
    const keys = new TrustStore();
    try {
      await keys.addJwks(info.keys, { source: `${client.base.origin} (registry keys)` });
    } catch (error) {
      throw new CliError(
        'server-error',
        `The registry's own keys are not a trust JWKS: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    registry = { client, info, keys };
    const jwks = await client.getUrl(info.jwksUri);
    if (jwks.status !== 200) throw client.fail(jwks, `GET ${info.jwksUri.pathname}`);
    await addJwks(trust, client.json(jwks, `GET ${info.jwksUri.pathname}`), info.jwksUri.href, io);
  }

  let revocations: RevocationList | undefined;
  if (flags.revocations !== undefined) {
    const text = await readSource(flags.revocations, io.cwd, '--revocations');
    revocations = await loadRevocations(text, flags.revocations, trust, registry);
  } else if (registry) {
    const r = await registry.client.getUrl(registry.info.revocationsUri, 'application/jwt');
    if (r.status !== 200)
      throw registry.client.fail(r, `GET ${registry.info.revocationsUri.pathname}`);
    revocations = await loadRevocations(r.text, registry.info.revocationsUri.href, trust, registry);
  }

  const pins = flags.pins === undefined ? undefined : await loadPins(flags.pins, io.cwd);
  const sources: SignedCopySource[] = [];
  if (signedTools.length > 0) sources.push(await loadSignedTools(signedTools, io.cwd));
  if (registry && providers.length > 0) sources.push(new RegistryCopies(registry.client));

  const verifier = new Verifier({
    trust,
    ...(flags.maxAgeSec === undefined ? {} : { maxAgeSec: flags.maxAgeSec }),
    ...(revocations ? { revocations } : {}),
    ...(pins ? { pins } : {}),
  });
  return {
    verifier,
    attest: providers.length > 0 ? { providers, sources } : undefined,
    async savePins() {
      if (!flags.updatePins || !pins || flags.pins === undefined) return undefined;
      return savePins(pins as MemoryPinStore, flags.pins, io.cwd);
    },
  };
}
