/**
 * `application/x-www-form-urlencoded` encoding of one value (the WHATWG form serializer, as
 * `URLSearchParams` writes it): what RFC 6749 §2.3.1 applies to a client id and secret before
 * they go into a Basic `Authorization` header.
 */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * The `Authorization` header value of HTTP Basic client authentication at an OAuth endpoint
 * (RFC 6749 §2.3.1): `Basic base64(formUrlEncode(id) ":" formUrlEncode(secret))`.
 *
 * @example
 * headers.authorization = basicClientAuthorization('gateway', secret);
 */
export function basicClientAuthorization(clientId: string, clientSecret: string): string {
  const pair = `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}
