import { EtdiError } from '../errors/etdi-error.js';

/** Largest compact JWS accepted, in characters. Tool JWSs are a few hundred. */
export const MAX_JWS_LENGTH = 16 * 1024;
/** Largest encoded protected header accepted, in characters. */
export const MAX_HEADER_LENGTH = 1024;

const B64URL = /^[A-Za-z0-9_-]+$/;

/** A compact JWS split and decoded, not yet verified. */
export interface ParsedJws {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** ASCII `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

function malformed(message: string): never {
  throw new EtdiError('malformed', `Signature JWS ${message}`, {
    pointer: '/_meta/io.etdi~1signature',
  });
}

function decodeSegment(segment: string, what: string, canonicalOnly: boolean): Buffer {
  if (segment.length === 0) return Buffer.alloc(0);
  if (!B64URL.test(segment) || segment.length % 4 === 1) malformed(`${what} is not base64url`);
  const bytes = Buffer.from(segment, 'base64url');
  // Buffer's decoder ignores stray trailing bits. For the signature that would let one JWS have
  // several spellings, so only the canonical one is accepted. Header and payload need no such
  // check: the signature covers their exact characters, so any other spelling fails to verify.
  if (canonicalOnly && bytes.toString('base64url') !== segment) {
    malformed(`${what} is not canonical base64url`);
  }
  return bytes;
}

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decodeSegment(segment, what, false).toString('utf8'));
  } catch (cause) {
    if (cause instanceof EtdiError) throw cause;
    malformed(`${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    malformed(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Protected headers decoded before, by their encoded form (see {@link parseToolJws}). */
const decodedHeaders = new Map<string, Readonly<Record<string, unknown>>>();
/** Headers remembered at most; the memory is emptied when it is full. */
const DECODED_HEADERS_LIMIT = 256;

/**
 * Splits and decodes a compact JWS strictly: exactly three segments of base64url (an empty
 * signature is left for the algorithm and signature checks to refuse, so `alg: none` is reported
 * as such), a protected header of bounded size, JSON objects for header and payload. Throws
 * `EtdiError('malformed')`.
 */
export function parseCompactJws(jws: string): ParsedJws {
  return parse(jws, false);
}

/**
 * {@link parseCompactJws} for the verifier's hot path: every tool a key signs carries the same
 * protected header, so a header decoded before is not decoded again. The header object is then
 * shared between calls and frozen; only the decoding is skipped, every check of its members
 * still runs for each tool.
 */
export function parseToolJws(jws: string): ParsedJws {
  return parse(jws, true);
}

function parse(jws: string, shareHeader: boolean): ParsedJws {
  if (jws.length > MAX_JWS_LENGTH) malformed(`is longer than ${MAX_JWS_LENGTH} characters`);
  const first = jws.indexOf('.');
  const second = first < 0 ? -1 : jws.indexOf('.', first + 1);
  if (first < 0 || second < 0 || jws.indexOf('.', second + 1) >= 0) {
    malformed('must have exactly three segments (header.payload.signature)');
  }
  const h = jws.slice(0, first);
  const p = jws.slice(first + 1, second);
  const s = jws.slice(second + 1);
  if (h.length > MAX_HEADER_LENGTH)
    malformed(`protected header is longer than ${MAX_HEADER_LENGTH} characters`);
  let header = shareHeader ? decodedHeaders.get(h) : undefined;
  if (header === undefined) {
    header = decodeJsonObject(h, 'protected header');
    if (shareHeader) {
      if (decodedHeaders.size >= DECODED_HEADERS_LIMIT) decodedHeaders.clear();
      decodedHeaders.set(h, Object.freeze(header));
    }
  }
  const payload = decodeJsonObject(p, 'payload');
  const signature = decodeSegment(s, 'signature', true);
  return { header, payload, signingInput: jws.slice(0, second), signature };
}
