/** Semantic versions: just what release planning needs (parse, compare, bump). */

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Dot-separated prerelease identifiers, e.g. `['beta', '1']`; empty for a release. */
  readonly prerelease: readonly string[];
}

export type Bump = 'major' | 'minor' | 'patch';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

/** The regular expression source of one version, for building tag matchers. */
export const SEMVER_SOURCE = SEMVER.source.slice(1, -1);

export function parseSemVer(text: string): SemVer | undefined {
  const m = SEMVER.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ? m[4].split('.') : [] };
}

export function formatSemVer(v: SemVer): string {
  return `${v.major}.${v.minor}.${v.patch}${v.prerelease.length ? `-${v.prerelease.join('.')}` : ''}`;
}

/** Semver precedence: negative when a < b. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] - b[k];
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The larger of two bumps (`undefined` is no bump). */
export function maxBump(a: Bump | undefined, b: Bump | undefined): Bump | undefined {
  const rank = (x: Bump | undefined) => (x === 'major' ? 3 : x === 'minor' ? 2 : x === 'patch' ? 1 : 0);
  return rank(a) >= rank(b) ? a : b;
}

/**
 * Below 1.0.0 the public API is not yet stable, so a breaking change bumps the minor
 * and a feature the patch (as Nx, semantic-release and conventional-changelog's `preMajor` do).
 */
export function adjustForZeroMajor(current: SemVer, bump: Bump): Bump {
  if (current.major !== 0) return bump;
  return bump === 'major' ? 'minor' : 'patch';
}

/** `inc` as semver defines it: a prerelease of the target version is released rather than skipped. */
export function bumpSemVer(v: SemVer, bump: Bump): SemVer {
  const pre = v.prerelease.length > 0;
  switch (bump) {
    case 'major':
      return pre && v.minor === 0 && v.patch === 0 ? { ...v, prerelease: [] } : { major: v.major + 1, minor: 0, patch: 0, prerelease: [] };
    case 'minor':
      return pre && v.patch === 0 ? { ...v, prerelease: [] } : { major: v.major, minor: v.minor + 1, patch: 0, prerelease: [] };
    case 'patch':
      return pre ? { ...v, prerelease: [] } : { ...v, patch: v.patch + 1, prerelease: [] };
  }
}
