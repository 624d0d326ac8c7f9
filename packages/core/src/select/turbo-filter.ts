/**
 * turbo's `--filter` selectors, read as turbo reads them (turborepo's target_selector.rs): `!`
 * negation, `...` before (and dependents) or after (and dependencies) with `^` to leave the
 * matched projects out, a name glob, a directory (`./dir`, `{dir}`) and a change range (`[REF]`,
 * `[BASE...HEAD]`), the parts given all having to match.
 */
import micromatch from 'micromatch';
import type { ChangeRange, SelectableProject } from './types.js';

export interface TurboFilter {
  readonly text: string;
  readonly exclude: boolean;
  readonly dependents: boolean;
  readonly dependencies: boolean;
  /** `^`: only the dependents/dependencies, not the matched projects themselves. */
  readonly excludeSelf: boolean;
  readonly name?: string;
  /** Workspace-relative glob, without a leading `./`. */
  readonly directory?: string;
  readonly changed?: ChangeRange;
}

const SELECTOR = /^(?<name>[^.](?:[^{}[\]]*[^{}[\].])?)?(?<directory>\{[^}]*\})?(?<commits>\[[^\]]+\])?$/;

export type FilterParse = { readonly ok: true; readonly value: TurboFilter } | { readonly ok: false; readonly error: string };

export function parseFilter(text: string): FilterParse {
  let rest = text;
  const exclude = rest.startsWith('!');
  if (exclude) rest = rest.slice(1);
  let excludeSelf = false;
  let dependencies = false;
  let dependents = false;
  if (rest.endsWith('^...')) [dependencies, excludeSelf, rest] = [true, true, rest.slice(0, -4)];
  else if (rest.endsWith('...')) [dependencies, rest] = [true, rest.slice(0, -3)];
  if (rest.startsWith('...^')) [dependents, excludeSelf, rest] = [true, true, rest.slice(4)];
  else if (rest.startsWith('...')) [dependents, rest] = [true, rest.slice(3)];
  const base = { text, exclude, dependents, dependencies, excludeSelf };
  if (rest === '') return { ok: false, error: `--filter "${text}" selects nothing: give a name, a ./directory or a [ref].` };
  const m = SELECTOR.exec(rest);
  if (!m) {
    if (rest === '.' || rest === '..' || rest.startsWith('./') || rest.startsWith('../')) return directoryFilter(base, rest);
    return { ok: true, value: { ...base, name: rest } };
  }
  const { name, directory, commits } = m.groups as { name?: string; directory?: string; commits?: string };
  let value: TurboFilter = { ...base, ...(name && { name }) };
  if (directory !== undefined) {
    const dir = directoryFilter(value, directory.slice(1, -1));
    if (!dir.ok) return dir;
    value = dir.value;
  }
  if (commits !== undefined) {
    const [from, to] = commits.slice(1, -1).split('...');
    if (!from) return { ok: false, error: `--filter "${text}": the range needs a base ref, as in [main] or [main...HEAD].` };
    value = { ...value, changed: { base: from, ...(to && { head: to }) } };
  }
  return { ok: true, value };
}

function directoryFilter(base: Omit<TurboFilter, 'directory'>, dir: string): FilterParse {
  const clean = dir.replace(/^\.\//, '').replace(/\/+$/, '');
  if (dir === '' || clean.startsWith('..') || clean.startsWith('/')) return { ok: false, error: `--filter "${base.text}": "${dir}" is not a directory inside the workspace.` };
  return { ok: true, value: { ...base, directory: clean === '' || clean === '.' ? '' : clean } };
}

/** The key of a change range, for the projects changed in it. */
export function rangeKey(range: ChangeRange): string {
  return range.head === undefined ? range.base : `${range.base}...${range.head}`;
}

/** What a filter's own parts match, before `...`: each part given must match. Unknown exact names are `undefined` (an error for the caller). */
export function filterEntries(
  filter: TurboFilter,
  projects: readonly SelectableProject[],
  changed: ReadonlyMap<string, ReadonlySet<string>> | undefined,
): { readonly names: readonly string[]; readonly unknownName?: string } {
  let candidates = projects;
  let unknownName: string | undefined;
  if (filter.name !== undefined) {
    const named = matchPackageNames(filter.name, projects);
    if (named.length === 0 && !filter.name.includes('*')) unknownName = filter.name;
    const set = new Set(named);
    candidates = candidates.filter((p) => set.has(p.name));
  }
  if (filter.directory !== undefined) {
    const dir = filter.directory;
    candidates = candidates.filter((p) => p.root === dir || (dir !== '' && micromatch.isMatch(p.root, dir)));
  }
  if (filter.changed !== undefined) {
    const set = changed?.get(rangeKey(filter.changed)) ?? new Set<string>();
    candidates = candidates.filter((p) => set.has(p.name));
  }
  return { names: candidates.map((p) => p.name), ...(unknownName !== undefined && { unknownName }) };
}

/** turbo's name match: `*` is the only wildcard, and an unscoped name is not looked for in scopes (turbo 2 does not). */
function matchPackageNames(pattern: string, projects: readonly SelectableProject[]): string[] {
  const glob = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return projects.filter((p) => glob.test(p.name)).map((p) => p.name);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
