import type { X509Certificate } from 'node:crypto';

/** What a certificate may do as an issuer, from its basicConstraints and keyUsage extensions. */
export interface CaConstraints {
  /** basicConstraints `cA`. */
  readonly ca: boolean;
  /** basicConstraints `pathLenConstraint`: most CA certificates that may follow it towards a leaf. */
  readonly pathLen: number | undefined;
  /** keyUsage `keyCertSign`; `undefined` when the certificate has no keyUsage extension. */
  readonly keyCertSign: boolean | undefined;
}

const BASIC_CONSTRAINTS = '2.5.29.19';
const KEY_USAGE = '2.5.29.15';

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

// Just enough DER to walk a certificate to its extensions; `crypto.X509Certificate` exposes
// `ca` but neither `pathLenConstraint` nor keyUsage. Definite lengths only, as DER requires.
function tlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new RangeError('truncated DER');
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) throw new RangeError('bad DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  const end = start + length;
  if (end > limit) throw new RangeError('truncated DER');
  return { tag, start, end };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const child = tlv(der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

function oid(der: Uint8Array, node: Tlv): string {
  const bytes = der.subarray(node.start, node.end);
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    value = value * 128 + (bytes[i]! & 0x7f);
    if (!(bytes[i]! & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function integer(der: Uint8Array, node: Tlv): number {
  let value = 0;
  for (let i = node.start; i < node.end; i++) value = value * 256 + der[i]!;
  return value;
}

/** The extensions of a DER certificate: OID → the DER inside extnValue. */
function extensions(der: Uint8Array): Map<string, { der: Uint8Array; value: Tlv }> {
  const out = new Map<string, { der: Uint8Array; value: Tlv }>();
  const certificate = tlv(der, 0, der.length);
  const tbs = children(der, certificate)[0];
  if (!tbs) return out;
  // [3] EXPLICIT Extensions, after the optional issuer/subject unique ids.
  const wrapper = children(der, tbs).find((n) => n.tag === 0xa3);
  if (!wrapper) return out;
  const list = children(der, wrapper)[0];
  if (!list) return out;
  for (const extension of children(der, list)) {
    const parts = children(der, extension);
    const id = parts[0];
    const octets = parts[parts.length - 1];
    if (!id || !octets || id.tag !== 0x06 || octets.tag !== 0x04) continue;
    const inner = der.subarray(octets.start, octets.end);
    out.set(oid(der, id), { der: inner, value: tlv(inner, 0, inner.length) });
  }
  return out;
}

const cache = new WeakMap<X509Certificate, CaConstraints>();

/**
 * The issuing constraints of a certificate (RFC 5280 §4.2.1.9, §4.2.1.3). A certificate whose
 * extensions cannot be read is no CA.
 */
export function caConstraints(cert: X509Certificate): CaConstraints {
  let constraints = cache.get(cert);
  if (constraints) return constraints;
  try {
    const found = extensions(cert.raw);
    let ca = false;
    let pathLen: number | undefined;
    const basic = found.get(BASIC_CONSTRAINTS);
    if (basic && basic.value.tag === 0x30) {
      for (const member of children(basic.der, basic.value)) {
        if (member.tag === 0x01) ca = basic.der[member.start] !== 0;
        if (member.tag === 0x02) pathLen = integer(basic.der, member);
      }
    }
    let keyCertSign: boolean | undefined;
    const usage = found.get(KEY_USAGE);
    if (usage && usage.value.tag === 0x03) {
      // BIT STRING: unused-bits byte, then bit 0 (digitalSignature) as the first byte's MSB;
      // keyCertSign is bit 5.
      const first = usage.value.end - usage.value.start > 1 ? usage.der[usage.value.start + 1]! : 0;
      keyCertSign = (first & 0x04) !== 0;
    }
    constraints = { ca, pathLen, keyCertSign };
  } catch {
    constraints = { ca: false, pathLen: undefined, keyCertSign: undefined };
  }
  cache.set(cert, constraints);
  return constraints;
}

/**
 * Whether `issuer` may sign the next certificate down a path that already holds
 * `intermediatesBelow` CA certificates between it and the leaf: a CA (`cA` and, when keyUsage is
 * present, `keyCertSign`) whose `pathLenConstraint`, if any, allows that many.
 */
export function mayIssue(issuer: X509Certificate, intermediatesBelow: number): boolean {
  const { ca, pathLen, keyCertSign } = caConstraints(issuer);
  return ca && keyCertSign !== false && (pathLen === undefined || intermediatesBelow <= pathLen);
}
