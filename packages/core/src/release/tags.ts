/**
 * Release tags from Nx's `releaseTag.pattern`: `{projectName}@{version}` (Nx's default for
 * independent projects), `v{version}`, `{projectName}-v{version}`... Formatting and the inverse.
 */
import { diagnostic, type Diagnostic } from '../model/index.js';
import { parseSemVer, compareSemVer, SEMVER_SOURCE, type SemVer } from './semver.js';

export const DEFAULT_INDEPENDENT_TAG_PATTERN = '{projectName}@{version}';
export const DEFAULT_FIXED_TAG_PATTERN = 'v{version}';

const PLACEHOLDER = /\{(projectName|version|releaseGroupName)\}/g;

export function formatTag(pattern: string, values: { projectName: string; version: string; releaseGroupName?: string }): string {
  return pattern.replace(PLACEHOLDER, (_, key: string) => (values as unknown as Record<string, string | undefined>)[key] ?? '');
}

/** Whether a pattern can tell projects apart (it must, for independent releases). */
export function patternNamesProject(pattern: string): boolean {
  return pattern.includes('{projectName}');
}

/** The version a tag carries for `projectName` under `pattern`, or undefined when the tag is not one of its tags. */
export function parseTag(pattern: string, projectName: string, tag: string): SemVer | undefined {
  let source = '';
  let last = 0;
  for (const m of pattern.matchAll(PLACEHOLDER)) {
    source += escape(pattern.slice(last, m.index));
    source += m[1] === 'version' ? `(${SEMVER_SOURCE})` : m[1] === 'projectName' ? escape(projectName) : '[^/]*?';
    last = m.index! + m[0].length;
  }
  source += escape(pattern.slice(last));
  const m = new RegExp(`^${source}$`).exec(tag);
  return m?.[1] === undefined ? undefined : parseSemVer(m[1]);
}

/** The highest version among `tags` that belong to `projectName`, with its tag. */
export function latestTag(pattern: string, projectName: string, tags: readonly string[]): { tag: string; version: SemVer } | undefined {
  let best: { tag: string; version: SemVer } | undefined;
  for (const tag of tags) {
    const version = parseTag(pattern, projectName, tag);
    if (version && (!best || compareSemVer(version, best.version) > 0)) best = { tag, version };
  }
  return best;
}

/** A problem for each tag a release would create that exists already: a release never moves a tag. */
export function tagClashes(planned: readonly string[], existing: readonly string[]): Diagnostic[] {
  const taken = new Set(existing);
  return planned.filter((t) => taken.has(t)).map((t) => diagnostic('release-tag-exists', `tag "${t}" already exists.`, { hint: 'Delete it, or pass --skip-tags.' }));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
