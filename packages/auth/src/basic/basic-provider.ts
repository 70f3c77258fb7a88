import {
  BaseAuthProvider,
  validateWithSchema,
  type BaseProviderOptions,
} from '../base-provider.js';
import { PROVIDER_VALIDATORS, requiredKeysOf } from '../config/provider-schemas.js';
import type { AuthCredentials } from '../credentials.js';
import { AuthError } from '../errors.js';
import type { ConfigValidation } from '../provider.js';
import type { AuthResult } from '../result.js';
import type { AuthMethod } from '../status.js';
import { hashPassword, parsePasswordHash, verifyPassword } from './password-hash.js';

/** A user of {@link BasicAuthProvider}: a name and an scrypt hash, never a password. */
export interface BasicUser {
  readonly username: string;
  /** From `hashPassword`: `$scrypt$ln=…,r=…,p=…$<salt>$<hash>`. */
  readonly passwordHash: string;
  /** Default: the username. */
  readonly userId?: string;
  readonly projectId?: string;
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
  /** Default true. */
  readonly active?: boolean;
}

/** Options of {@link BasicAuthProvider}. */
export interface BasicAuthProviderOptions extends BaseProviderOptions {
  users: readonly BasicUser[];
  /** Longest password accepted. Default 1024: scrypt of a megabyte is a denial of service. */
  maxPasswordLength?: number;
}

type ParsedUser = BasicUser & { readonly parsed: ReturnType<typeof parsePasswordHash> };

/**
 * HTTP Basic authentication against scrypt password hashes. An unknown user costs the same
 * scrypt as a known one, and hashes are compared in constant time, so neither timing nor the
 * answer tells an attacker which usernames exist.
 *
 * @example
 * const basic = new BasicAuthProvider({
 *   users: [{ username: 'ops', passwordHash: await hashPassword(process.env.OPS_PASSWORD!) }],
 * });
 */
export class BasicAuthProvider extends BaseAuthProvider {
  readonly version = '1.0.0';
  protected readonly method: AuthMethod = 'basic-auth';
  readonly #users = new Map<string, ParsedUser>();
  readonly #maxPasswordLength: number;
  #dummy: Promise<ReturnType<typeof parsePasswordHash>> | undefined;

  constructor(options: BasicAuthProviderOptions) {
    super('basic', options);
    this.#maxPasswordLength = options.maxPasswordLength ?? 1024;
    options.users.forEach((user, index) => {
      let parsed;
      try {
        parsed = parsePasswordHash(user.passwordHash);
      } catch (cause) {
        throw new AuthError(
          'invalid-config',
          `Basic provider: /users/${index}/passwordHash: ${(cause as Error).message}`,
          { pointer: `/users/${index}/passwordHash`, cause },
        );
      }
      if (this.#users.has(user.username)) {
        throw new AuthError(
          'invalid-config',
          `Basic provider: /users/${index}: duplicate username "${user.username}"`,
          {
            pointer: `/users/${index}/username`,
          },
        );
      }
      this.#users.set(user.username, { ...user, parsed });
    });
  }

  supportedMethods(): readonly AuthMethod[] {
    return ['basic-auth'];
  }

  /** Checks a `basic` configuration document (the JSON/YAML form). */
  validateConfig(config: unknown): ConfigValidation {
    return validateWithSchema(PROVIDER_VALIDATORS.basic, config);
  }

  requiredConfigKeys(): readonly string[] {
    return requiredKeysOf('basic');
  }

  // The hash unknown usernames are checked against, with the parameters of the first user.
  #dummyHash(): Promise<ReturnType<typeof parsePasswordHash>> {
    const first = this.#users.values().next();
    const ln = first.done ? 15 : first.value.parsed.ln;
    this.#dummy ??= hashPassword('etdi-dummy-password', { ln }).then(parsePasswordHash);
    return this.#dummy;
  }

  protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    const { username, password } = credentials;
    if (username === undefined || password === undefined) {
      return this.noCredentials('No Basic credentials presented');
    }
    if (password.length > this.#maxPasswordLength || username.length > 256) {
      return this.failure(
        'invalid-credentials',
        'credential-too-large',
        `Basic credentials are too long (password at most ${this.#maxPasswordLength} characters)`,
      );
    }
    const user = this.#users.get(username);
    const ok = await verifyPassword(password, user?.parsed ?? (await this.#dummyHash()));
    if (!user || !ok) {
      return this.failure(
        'invalid-credentials',
        'invalid-username-or-password',
        'Username or password is wrong',
      );
    }
    if (user.active === false) {
      return this.failure('invalid-credentials', 'user-inactive', 'User has been deactivated');
    }
    return this.success({
      userId: user.userId ?? user.username,
      ...(user.projectId === undefined ? {} : { projectId: user.projectId }),
      permissions: user.scopes ?? [],
      roles: user.roles ?? [],
      metadata: { username: user.username },
    });
  }
}
