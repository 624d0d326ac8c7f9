/**
 * Where a CODEOWNERS file may live, in the order each host searches. GitHub takes the first of
 * `.github/`, the root and `docs/`; GitLab the first of the root, `docs/` and `.gitlab/`.
 * And the matcher for a file's text once found (the dialect its location implies).
 */
import { compileOwners, type OwnersMatcher } from './matcher.js';
import { parseCodeowners } from './parse.js';
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

/**
 * The matcher for the CODEOWNERS text found at `file` (repository-relative). The dialect is the
 * one given, else the one the location implies, else detected from the text.
 */
export function compileCodeowners(text: string, file: string, dialect?: Dialect): OwnersMatcher {
  return compileOwners(parseCodeowners(text, { file, dialect: dialect ?? dialectOfLocation(file) ?? 'auto' }));
}
