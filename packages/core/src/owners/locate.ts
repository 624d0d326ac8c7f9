/**
 * Where a CODEOWNERS file may live, in the order each host searches. GitHub takes the first of
 * `.github/`, the root and `docs/`; GitLab the first of the root, `docs/` and `.gitlab/`.
 */
import type { Dialect } from './types.js';

export const GITHUB_CODEOWNERS_LOCATIONS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;
export const GITLAB_CODEOWNERS_LOCATIONS = ['CODEOWNERS', 'docs/CODEOWNERS', '.gitlab/CODEOWNERS'] as const;

/** Candidate paths, first match wins: the dialect's own order, or GitHub's then `.gitlab/` when not known. */
export function codeownersLocations(dialect?: Dialect): readonly string[] {
  if (dialect === 'gitlab') return GITLAB_CODEOWNERS_LOCATIONS;
  return [...GITHUB_CODEOWNERS_LOCATIONS, '.gitlab/CODEOWNERS'];
}

/** The dialect a file's location implies, when it implies one. */
export function dialectOfLocation(path: string): Dialect | undefined {
  if (path.startsWith('.gitlab/')) return 'gitlab';
  if (path.startsWith('.github/')) return 'github';
  return undefined;
}
