import type { AuthCredentials } from './credentials.js';
import type { SchemaIssue } from '@etdi/core';
import type { AuthResult } from './result.js';
import type { AuthMethod } from './status.js';

/** Outcome of {@link AuthProvider.validateConfig}. */
export interface ConfigValidation {
  readonly valid: boolean;
  /** Every problem, each located by a JSON pointer into the configuration given. */
  readonly issues: readonly SchemaIssue[];
}

/**
 * The contract every authentication provider fulfils, and that a {@link ProviderChain} fulfils
 * too, so chains nest. A TypeScript rendering of the AuthProvider interface MCP gateways use.
 *
 * `authenticate` never throws and never rejects: every outcome, including a provider bug or an
 * unreachable dependency, is an {@link AuthResult} with a precise status and code.
 */
export interface AuthProvider {
  /** Unique within a registry, e.g. `jwt` or `partner-keys`. */
  readonly name: string;
  readonly version: string;
  supportedMethods(): readonly AuthMethod[];
  authenticate(credentials: AuthCredentials): Promise<AuthResult>;
  /** Whether a session this provider opened is still valid. Never throws. */
  validateSession(sessionId: string): Promise<boolean>;
  /** Re-authenticates an existing session (e.g. with a refresh token). Never throws. */
  refreshAuthentication(sessionId: string, credentials: AuthCredentials): Promise<AuthResult>;
  /** Checks a configuration document (the JSON/YAML form) for this provider type. */
  validateConfig?(config: unknown): ConfigValidation;
  /** Keys a configuration document must have. */
  requiredConfigKeys?(): readonly string[];
  /**
   * Lower-case names of the request headers this provider reads a credential or an asserted
   * identity from itself, beyond those credential extraction reads (`Authorization` and the
   * configured ones): a trusted proxy's user header, a custom provider's `X-Acme-Key`. A gateway
   * strips them all before forwarding (see `Authenticator.credentialHeaders`).
   */
  credentialHeaders?(): readonly string[];
  /** Releases timers and connections the provider opened itself. */
  close?(): Promise<void>;
}
