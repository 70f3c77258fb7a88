import type { RevocationList } from '@etdi/core';
import semver from 'semver';
import type { VersionRecord } from '../store/registry-store.js';

/** What a version is to its users: `yanked` when the revocation list covers it. */
export type ToolStatus = 'active' | 'deprecated' | 'yanked';

/** The status of a version: yanked (revoked by any entry: version, tool, digest or key), else as stored. */
export function versionStatus(version: VersionRecord, revocations: RevocationList): ToolStatus {
  const entry = revocations.find({
    iss: version.iss,
    sub: version.sub,
    ver: version.ver,
    dig: version.dig,
    kid: version.kid,
  });
  return entry ? 'yanked' : version.status;
}

/**
 * The version `/latest` serves: the highest (semver precedence) that is not yanked, releases
 * before pre-releases (a pre-release only when no release is left). Deprecated versions still
 * count: deprecation warns, it does not withdraw.
 */
export function latestVersion(
  versions: readonly VersionRecord[],
  revocations: RevocationList,
): VersionRecord | undefined {
  const usable = versions.filter((v) => versionStatus(v, revocations) !== 'yanked');
  const releases = usable.filter((v) => semver.prerelease(v.ver) === null);
  const pool = releases.length > 0 ? releases : usable;
  return pool.reduce<VersionRecord | undefined>(
    (best, v) => (best === undefined || semver.gt(v.ver, best.ver) ? v : best),
    undefined,
  );
}

/** Versions newest first (semver precedence). */
export function newestFirst(versions: readonly VersionRecord[]): VersionRecord[] {
  return [...versions].sort((a, b) => semver.rcompare(a.ver, b.ver));
}
