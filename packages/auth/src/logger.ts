import { maskSecret } from '@etdi/core';

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields of a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Where providers write. Inject your own (pino, the Fastify logger, a test recorder); every
 * line passes through a redaction step first, so no secret reaches it even by mistake.
 */
export interface AuthLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /**
   * Whether lines of `level` are written at all (pino has the same method). When present,
   * providers skip building lines nobody reads: one line per request is not free.
   */
  isLevelEnabled?(level: LogLevel): boolean;
}

/** A logger that drops everything. */
export const noopLogger: AuthLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
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
 * The default logger: one JSON line per event on stderr, `warn` and above.
 *
 * @example
 * const logger = createConsoleLogger({ level: 'debug' });
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): AuthLogger {
  const threshold = LEVELS[options.level ?? 'warn'];
  const stream = options.stream ?? process.stderr;
  const write = (level: LogLevel, message: string, fields?: LogFields) => {
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
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    isLevelEnabled: (level) => LEVELS[level] >= threshold,
  };
}

// Field names whose string values are secrets, whatever the provider meant to put there.
const SECRET_NAME =
  /secret|session[-_]?id|password|passwd|token|api[-_]?key|apikey|gateway[-_]?key|authorization|cookie|credential|private/i;

function redactValue(name: string, value: unknown, depth: number): unknown {
  if (value == null) return value;
  if (typeof value === 'string')
    return SECRET_NAME.test(name) ? maskSecret(value, 4) || '****' : value;
  if (typeof value !== 'object') return value;
  // AuthCredentials, TokenSet and AuthResult know how to show themselves safely.
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

/** Wraps a logger so every line's fields are redacted before it sees them. */
export function redactingLogger(logger: AuthLogger): AuthLogger {
  if (logger === noopLogger) return noopLogger;
  const enabled = logger.isLevelEnabled?.bind(logger) ?? (() => true);
  return {
    debug: (m, f) => enabled('debug') && logger.debug(m, f && redactLogFields(f)),
    info: (m, f) => enabled('info') && logger.info(m, f && redactLogFields(f)),
    warn: (m, f) => enabled('warn') && logger.warn(m, f && redactLogFields(f)),
    error: (m, f) => enabled('error') && logger.error(m, f && redactLogFields(f)),
    isLevelEnabled: enabled,
  };
}
