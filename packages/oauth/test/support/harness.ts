/**
 * Test doubles for the service's injectable parts: a manual clock, a sleep that records instead
 * of waiting, and a logger that keeps every line (to assert correlation ids, and that no secret
 * ever reaches a log line).
 */
import type { LogFields, Logger } from '@etdi/core';
import type {
  AccessToken,
  OAuthConfig,
  OAuthError,
  RevocationResult,
  TokenResult,
} from '@etdi/oauth';
import { DEFAULT_CLIENT, type TestOAuthServer } from './oauth-server.js';

/** A clock tests move by hand. Starts on a whole second so HTTP-dates are exact. */
export class ManualClock {
  #now = Date.UTC(2026, 0, 1, 12, 0, 0);
  readonly now = (): number => this.#now;
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A `sleep` that records what it was asked to wait and returns at once. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: LogFields;
  readonly message: string;
}

/** A logger that keeps every line. */
export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];
  debug(fields: LogFields, message: string): void {
    this.lines.push({ level: 'debug', fields, message });
  }
  info(fields: LogFields, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }
  warn(fields: LogFields, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }
  error(fields: LogFields, message: string): void {
    this.lines.push({ level: 'error', fields, message });
  }
  /** Every line as one string, the way a JSON log sink would write them. */
  text(): string {
    return this.lines.map((line) => JSON.stringify(line)).join('\n');
  }
  /** Lines that carry the given correlation id. */
  withCorrelationId(id: string): LogLine[] {
    return this.lines.filter((line) => line.fields.correlationId === id);
  }
}

/** Retry policy for tests: two retries (three requests in all), tiny waits, no jitter. */
export const FAST_RETRY = { retries: 2, baseDelayMs: 1, maxDelayMs: 4, jitter: 0 } as const;

/** A client-credentials configuration against the server's plain HTTP listener. */
export function clientCredentials(
  server: TestOAuthServer,
  overrides: Partial<OAuthConfig> = {},
): OAuthConfig {
  return {
    grantType: 'client_credentials',
    tokenUrl: server.url('http', '/token'),
    revocationUrl: server.url('http', '/revoke'),
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    scope: 'tools:read tools:call',
    allowLoopbackHttp: true,
    ...overrides,
  };
}

/** The token of a result that must have succeeded; a failure throws its own error at the test. */
export function tokenOf(result: TokenResult): AccessToken {
  if (!result.ok) throw result.error;
  return result.token;
}

/** The error of a result that must have failed. */
export function errorOf(result: TokenResult | RevocationResult): OAuthError {
  if (result.ok) throw new Error('expected the operation to fail, but it succeeded');
  return result.error;
}
