import { maskSecret } from './util/mask-secret.js';

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields of a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The one logger contract of every ETDI package: pino's argument order (`fields`, then
 * `message`), so a Fastify app's `app.log` or any pino logger can be passed anywhere.
 *
 * @example
 * const auth = buildAuthenticator(config, { logger: app.log });
 * logger.warn({ provider: 'jwt', code: 'jwks-unavailable' }, 'JWKS refresh failed');
 */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  /**
   * Whether lines of `level` are written at all (pino has it). When present, callers skip
   * building lines nobody reads: one line per request is not free.
   */
  isLevelEnabled?(level: LogLevel): boolean;
}

const noop = (): void => {};

/** A logger that drops everything: the default of every library in the family. */
export const silentLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  isLevelEnabled: () => false,
});

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Lowest level written. Default `warn`, so start-up security warnings are never silent. */
  level?: LogLevel;
  /** Where lines go. Default `process.stderr`: diagnostics never mix with program output. */
  stream?: { write(chunk: string): unknown };
}

/**
 * A small logger for programs without pino: one JSON line per event (`level`, `time`, `msg`,
 * then the redacted fields), `warn` and above by default.
 *
 * @example
 * const logger = createConsoleLogger({ level: 'debug' });
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? 'warn'];
  const stream = options.stream ?? process.stderr;
  const write = (level: LogLevel, fields: LogFields, message: string) => {
    if (LEVELS[level] < threshold) return;
    const line = {
      level,
      time: new Date().toISOString(),
      msg: message,
      ...redactLogFields(fields),
    };
    stream.write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: (f, m) => write('debug', f, m),
    info: (f, m) => write('info', f, m),
    warn: (f, m) => write('warn', f, m),
    error: (f, m) => write('error', f, m),
    isLevelEnabled: (level) => LEVELS[level] >= threshold,
  };
}

// Field names whose string values are secrets, whatever the caller meant to put there.
const SECRET_NAME =
  /secret|session[-_]?id|password|passwd|token|api[-_]?key|apikey|gateway[-_]?key|authorization|cookie|credential|private/i;

function redactValue(name: string, value: unknown, depth: number): unknown {
  if (value == null) return value;
  if (typeof value === 'string')
    return SECRET_NAME.test(name) ? maskSecret(value, 4) || '****' : value;
  if (typeof value !== 'object') return value;
  // Credentials, token sets and results that know how to show themselves safely.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return redactValue(name, toJSON.call(value), depth);
  if (depth >= 4) return '[object]';
  if (Array.isArray(value)) return value.map((v) => redactValue(name, v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(k, v, depth + 1);
  return out;
}

/** Masks every secret-looking field (by name, at any depth) of a log line's fields. */
export function redactLogFields(fields: LogFields | undefined): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = redactValue(k, v, 0);
  return out;
}

/**
 * Wraps a logger so every line's fields are redacted before it sees them, and lines of a
 * disabled level are not even built.
 */
export function redactingLogger(logger: Logger): Logger {
  if (logger === silentLogger) return silentLogger;
  const enabled = logger.isLevelEnabled?.bind(logger) ?? (() => true);
  return {
    debug: (f, m) => void (enabled('debug') && logger.debug(redactLogFields(f), m)),
    info: (f, m) => void (enabled('info') && logger.info(redactLogFields(f), m)),
    warn: (f, m) => void (enabled('warn') && logger.warn(redactLogFields(f), m)),
    error: (f, m) => void (enabled('error') && logger.error(redactLogFields(f), m)),
    isLevelEnabled: enabled,
  };
}
