/** Structured fields of one log line. The service never puts a secret in them. */
export type OAuthLogFields = Readonly<Record<string, unknown>>;

/**
 * Where the service writes its log lines. The signature is pino's (`fields`, then `message`), so
 * a Fastify app can pass `app.log` directly. Every line about an acquisition carries its
 * `correlationId`.
 */
export interface OAuthLogger {
  debug(fields: OAuthLogFields, message: string): void;
  info(fields: OAuthLogFields, message: string): void;
  warn(fields: OAuthLogFields, message: string): void;
  error(fields: OAuthLogFields, message: string): void;
}

const noop = (): void => {};

/** The default: a library stays quiet unless its host hands it a logger. */
export const silentLogger: OAuthLogger = { debug: noop, info: noop, warn: noop, error: noop };
