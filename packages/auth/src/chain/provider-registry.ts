import { AuthError } from '../errors.js';
import type { AuthProvider } from '../provider.js';

/**
 * Providers by name. Names are unique: registering a second provider under a taken name is an
 * error, never a silent replacement.
 *
 * @example
 * const registry = new ProviderRegistry().register(jwt).register(keys);
 * const chain = createProviderChain({ providers: registry.pick(['jwt', 'api-key']) });
 */
export class ProviderRegistry {
  readonly #providers = new Map<string, AuthProvider>();

  /** Adds a provider; throws `AuthError('duplicate-provider')` when the name is taken. */
  register(provider: AuthProvider): this {
    if (this.#providers.has(provider.name)) {
      throw new AuthError(
        'duplicate-provider',
        `A provider named "${provider.name}" is already registered`,
      );
    }
    this.#providers.set(provider.name, provider);
    return this;
  }

  /** Whether there was a provider to remove. */
  unregister(name: string): boolean {
    return this.#providers.delete(name);
  }

  get(name: string): AuthProvider | undefined {
    return this.#providers.get(name);
  }

  /** The provider, or `AuthError('unknown-provider')` naming the known ones. */
  require(name: string): AuthProvider {
    const provider = this.#providers.get(name);
    if (!provider) {
      throw new AuthError(
        'unknown-provider',
        `Unknown provider "${name}" (registered: ${this.names().join(', ') || 'none'})`,
      );
    }
    return provider;
  }

  /** Several providers by name, in the order given. */
  pick(names: readonly string[]): AuthProvider[] {
    return names.map((name) => this.require(name));
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.#providers.keys()];
  }

  /** Every provider, in registration order. */
  list(): AuthProvider[] {
    return [...this.#providers.values()];
  }
}
