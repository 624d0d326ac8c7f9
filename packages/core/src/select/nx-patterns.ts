/**
 * Nx's project patterns, rule for rule as nx's `findMatchingProjects`
 * (packages/nx/src/utils/find-matching-projects.ts): names, globs, `tag:`, `directory:`, `name:`,
 * `!` exclusions applied in order, a leading exclusion starting from every project, and an
 * unlabelled pattern trying names first (exact, then Nx's word-boundary match, or a glob) and
 * falling through to project roots only when no name matched.
 */
import micromatch from 'micromatch';
import type { SelectableProject } from './types.js';

type PatternType = 'name' | 'tag' | 'directory' | 'unlabeled';

interface ProjectPattern {
  readonly exclude: boolean;
  readonly type: PatternType;
  readonly value: string;
}

/** Nx's glob characters (nx/src/utils/globs.ts): any of them makes a pattern a glob. */
const GLOB_CHARACTERS = new Set(['*', '|', '{', '}', '(', ')', '[']);

export function isGlobPattern(pattern: string): boolean {
  for (const c of pattern) if (GLOB_CHARACTERS.has(c)) return true;
  return false;
}

/**
 * The project names `patterns` select, in the order Nx adds them. `patterns` is not changed
 * (Nx's own version prepends `*` to its argument).
 */
export function findMatchingProjects(patterns: readonly string[], projects: readonly SelectableProject[]): string[] {
  if (patterns.every((p) => p.length === 0)) return [];
  const byName = new Map(projects.map((p) => [p.name, p]));
  const matched = new Set<string>();
  const all = patterns[0]!.startsWith('!') ? ['*', ...patterns] : patterns;
  for (const text of all) {
    if (text.length === 0 || text.startsWith('nx-cloud:')) continue;
    const pattern = parsePattern(text, byName);
    const apply = (name: string): void => void (pattern.exclude ? matched.delete(name) : matched.add(name));
    if (pattern.value === '*') {
      for (const p of projects) apply(p.name);
      continue;
    }
    switch (pattern.type) {
      case 'tag':
        for (const p of projects) if (p.tags.includes(pattern.value) || (isGlobPattern(pattern.value) && p.tags.some((t) => globMatch(pattern.value, t)))) apply(p.name);
        break;
      case 'name':
        for (const name of matchByName(pattern.value, projects, byName)) apply(name);
        break;
      case 'directory':
        for (const name of byDirectory(pattern.value, projects)) apply(name);
        break;
      case 'unlabeled': {
        // Names first; roots only when the names changed nothing (Nx compares the set's size).
        const before = matched.size;
        for (const name of matchByName(pattern.value, projects, byName)) apply(name);
        if (matched.size !== before) break;
        for (const name of byDirectory(pattern.value, projects)) apply(name);
        break;
      }
    }
  }
  return [...matched];
}

function parsePattern(text: string, byName: ReadonlyMap<string, SelectableProject>): ProjectPattern {
  const exclude = text.startsWith('!');
  const pattern = exclude ? text.slice(1) : text;
  if (byName.has(pattern)) return { type: 'name', value: pattern, exclude };
  const colon = pattern.indexOf(':');
  if (colon === -1) return { type: 'unlabeled', value: pattern, exclude };
  const label = pattern.slice(0, colon);
  // As Nx: an unknown label is dropped with its colon (`foo:bar` is the unlabelled `bar`).
  const type: PatternType = label === 'name' || label === 'tag' || label === 'directory' || label === 'unlabeled' ? label : 'unlabeled';
  return { type, value: pattern.slice(colon + 1), exclude };
}

/** Nx's name rule: the exact name; else, for a non-glob, a whole-word match (hyphens count as letters, `_` and `/` do not); else the glob. */
function matchByName(value: string, projects: readonly SelectableProject[], byName: ReadonlyMap<string, SelectableProject>): string[] {
  if (byName.has(value)) return [value];
  if (!isGlobPattern(value)) {
    let regex: RegExp;
    try {
      // Unescaped, as Nx builds it: `.` in a pattern is any character there too.
      regex = new RegExp(`(?<![@a-zA-Z0-9-])${value}(?![@a-zA-Z0-9-])`, 'i');
    } catch {
      return [];
    }
    return projects.filter((p) => regex.test(p.name)).map((p) => p.name);
  }
  return projects.filter((p) => globMatch(value, p.name)).map((p) => p.name);
}

function byDirectory(value: string, projects: readonly SelectableProject[]): string[] {
  return projects.filter((p) => globMatch(value, p.root)).map((p) => p.name);
}

/** minimatch with `dot: true`, as Nx calls it; an item equal to the pattern always matches. */
function globMatch(pattern: string, item: string): boolean {
  return item === pattern || micromatch.isMatch(item, pattern, { dot: true });
}
