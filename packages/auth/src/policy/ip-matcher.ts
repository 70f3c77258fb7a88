import { BlockList, isIP } from 'node:net';
import { AuthError } from '../errors.js';

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The address as policies see it: an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a
 * dual-stack socket reports for IPv4 peers) becomes plain IPv4, and an IPv6 zone is dropped.
 */
export function normalizeAddress(address: string): string {
  const mapped = MAPPED_V4.exec(address);
  if (mapped) return mapped[1]!;
  const zone = address.indexOf('%');
  return zone === -1 ? address : address.slice(0, zone);
}

/**
 * A set of IPv4 and IPv6 ranges in CIDR notation (a bare address is a /32 or /128), matched
 * with `net.BlockList`. Invalid entries are start-up errors that name the entry.
 */
export class IpMatcher {
  readonly #list = new BlockList();
  readonly size: number;

  /** @param where JSON pointer of the list, for error messages. */
  constructor(cidrs: readonly string[], where = '') {
    cidrs.forEach((entry, index) => {
      const [address = '', prefixText, extra] = entry.trim().split('/');
      const family = isIP(address);
      const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
      const max = family === 6 ? 128 : 32;
      if (
        family === 0 ||
        extra !== undefined ||
        !Number.isInteger(prefix) ||
        prefix < 0 ||
        prefix > max ||
        (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))
      ) {
        throw new AuthError(
          'invalid-config',
          `${where}/${index}: "${entry}" is not an IP address or CIDR range`,
          {
            pointer: `${where}/${index}`,
          },
        );
      }
      this.#list.addSubnet(normalizeAddress(address), prefix, family === 6 ? 'ipv6' : 'ipv4');
    });
    this.size = cidrs.length;
  }

  /** Whether `address` falls in one of the ranges. Anything that is not an IP never matches. */
  matches(address: string | undefined): boolean {
    if (address === undefined || this.size === 0) return false;
    const normalized = normalizeAddress(address);
    const family = isIP(normalized);
    if (family === 0) return false;
    return this.#list.check(normalized, family === 6 ? 'ipv6' : 'ipv4');
  }
}
