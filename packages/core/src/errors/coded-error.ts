import type { SchemaIssue } from '../schema/compile-schema.js';

/** Options every package's error class takes. */
export interface CodedErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  readonly cause?: unknown;
  /**
   * JSON pointer (RFC 6901) of the member the error is about: in a tool, a configuration
   * document or a request body. Every package names its location field `pointer`.
   */
  readonly pointer?: string | undefined;
  /**
   * Every problem found (a configuration or a document checked whole), each located by its JSON
   * pointer. `pointer` defaults to the first one's.
   */
  readonly issues?: readonly SchemaIssue[] | undefined;
}

/**
 * The base of every ETDI package's one error class (`EtdiError`, `AuthError`, `OAuthError`,
 * ...): a closed `code` union that callers `switch` on, a `pointer` locating the problem, the
 * standard `cause`, and a `toJSON` for structured logs that carries no stack and no secrets.
 *
 * @example
 * export const WIDGET_ERROR_CODES = defineCodes(['invalid-config', 'internal-error']);
 * export type WidgetErrorCode = (typeof WIDGET_ERROR_CODES)[number];
 * export class WidgetError extends CodedError<WidgetErrorCode> {
 *   override readonly name = 'WidgetError';
 * }
 */
export abstract class CodedError<Code extends string> extends Error {
  abstract override readonly name: string;
  readonly code: Code;
  readonly pointer: string | undefined;
  /**
   * Every problem found, not only the first: the given `issues`, else one issue at `pointer`
   * when there is one, else none.
   */
  readonly issues: readonly SchemaIssue[];

  constructor(code: Code, message: string, options?: CodedErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.pointer = options?.pointer ?? options?.issues?.[0]?.pointer;
    this.issues =
      options?.issues ??
      (options?.pointer === undefined ? [] : [{ pointer: options.pointer, message }]);
  }

  /**
   * A plain object for structured logs: name, code, message and location (and `issues` when
   * there are several); no stack.
   */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.pointer === undefined ? {} : { pointer: this.pointer }),
      ...(this.issues.length > 1 ? { issues: this.issues } : {}),
    };
  }
}

/**
 * Freezes a list of error or reason codes: the one array a package's closed code union is
 * derived from (`type Code = (typeof CODES)[number]`), so the list and the union cannot drift.
 */
export function defineCodes<const T extends readonly string[]>(codes: T): T {
  return Object.freeze([...codes]) as unknown as T;
}

/** A type guard for values of a code list, for codes read from the wire or from logs. */
export function codeGuard<const T extends readonly string[]>(
  codes: T,
): (value: unknown) => value is T[number] {
  const set: ReadonlySet<string> = new Set(codes);
  return (value: unknown): value is T[number] => typeof value === 'string' && set.has(value);
}

/**
 * The message of anything thrown, for wrapping unexpected failures in an `internal-error`
 * without losing what happened.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
