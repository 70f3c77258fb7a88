const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The PEM certificate blocks of a bundle (one string holding several, or a list of strings),
 * in order; text around and between the blocks is ignored.
 */
export function pemCertificates(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = typeof value === 'string' ? value : value.join('\n');
  return text.match(PEM_CERTIFICATE) ?? [];
}
