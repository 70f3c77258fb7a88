import type { X509Certificate } from 'node:crypto';

/** Where the user name of a client certificate is read from. */
export type CertificateIdentitySource = 'cn' | 'san-dns' | 'san-email' | 'san-uri';

const SAN_ENTRY = /(DNS|email|URI|IP Address):("(?:[^"\\]|\\.)*"|[^,]*)/g;

/** The subjectAltName entries of a certificate, by type (`DNS`, `email`, `URI`, `IP Address`). */
export function subjectAltNames(cert: X509Certificate): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const text = cert.subjectAltName;
  if (!text) return out;
  for (const match of text.matchAll(SAN_ENTRY)) {
    const type = match[1]!;
    let value = match[2]!.trim();
    // Node quotes values that contain separators, as JSON strings.
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    const list = out.get(type) ?? [];
    list.push(value);
    out.set(type, list);
  }
  return out;
}

/** The subject's common name, when it has exactly one. */
export function commonName(cert: X509Certificate): string | undefined {
  const names = cert.subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
  return names.length === 1 ? names[0] : undefined;
}

/** The identity a certificate names, read from the configured source. */
export function certificateIdentity(
  cert: X509Certificate,
  source: CertificateIdentitySource,
): string | undefined {
  if (source === 'cn') return commonName(cert);
  const type = source === 'san-dns' ? 'DNS' : source === 'san-email' ? 'email' : 'URI';
  return subjectAltNames(cert).get(type)?.[0];
}
