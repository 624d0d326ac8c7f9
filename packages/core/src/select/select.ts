/**
 * One selection from `-p`/`--projects` (Nx patterns), `--filter` (turbo selectors) and `--exclude`
 * (Nx patterns, applied last to what was selected, as Nx's run-many applies it). Given both `-p`
 * and `--filter`, a project must satisfy both.
 */
import { didYouMean } from '../model/nearest.js';
import { findMatchingProjects, isGlobPattern } from './nx-patterns.js';
import { filterEntries, parseFilter, rangeKey, type TurboFilter } from './turbo-filter.js';
import type { ChangeRange, SelectionInput, SelectionProblem, SelectionRequest, SelectionResult } from './types.js';

/** Whether the request selects anything (an empty request leaves the command's default). */
export function isSelecting(req: SelectionRequest): boolean {
  return [req.projects, req.exclude, req.filter].some((l) => l !== undefined && l.length > 0);
}

/** Whether the request is only exact-looking names (`-p a,b`): those need no workspace to be read before a run's fast path. */
export function isPlainNames(req: SelectionRequest): boolean {
  return !req.exclude?.length && !req.filter?.length && (req.projects ?? []).every((p) => isPlainName(p) && !p.startsWith('!'));
}

function isPlainName(pattern: string): boolean {
  const p = pattern.startsWith('!') ? pattern.slice(1) : pattern;
  // A `/` makes it a directory, unless it is an npm scope's (`@org/utils`).
  return p !== '' && !isGlobPattern(p) && !/^(tag|directory|name|unlabeled):/.test(p) && (!p.includes('/') || /^@[^/]+\/[^/]+$/.test(p));
}

export interface SelectionPlan {
  readonly filters: readonly TurboFilter[];
  /** The change ranges `[REF]` filters name: their changed projects must be given to `selectProjects`. */
  readonly ranges: readonly ChangeRange[];
  /** Whether `...` is used: the project graph must be given. */
  readonly needsGraph: boolean;
  readonly errors: readonly SelectionProblem[];
}

/** Reads the request's filters: what selecting needs to be given, and the filters that cannot be read. */
export function planSelection(req: SelectionRequest): SelectionPlan {
  const filters: TurboFilter[] = [];
  const errors: SelectionProblem[] = [];
  for (const text of req.filter ?? []) {
    const parsed = parseFilter(text);
    if (parsed.ok) filters.push(parsed.value);
    else errors.push({ kind: 'invalid-filter', pattern: text, message: parsed.error });
  }
  const ranges = new Map<string, ChangeRange>();
  for (const f of filters) if (f.changed) ranges.set(rangeKey(f.changed), f.changed);
  return { filters, ranges: [...ranges.values()], needsGraph: filters.some((f) => f.dependencies || f.dependents), errors };
}

/**
 * The projects the request selects, sorted; `universe` (default: every project) bounds them. Plain
 * names that match nothing are errors with the nearest name; patterns that match nothing are warnings.
 */
export function selectProjects(req: SelectionRequest, input: SelectionInput, universe?: readonly string[]): SelectionResult {
  const plan = planSelection(req);
  const errors: SelectionProblem[] = [...plan.errors];
  const warnings: SelectionProblem[] = [];
  const all = input.projects;
  const names = all.map((p) => p.name);
  const nothing = (pattern: string, what: string): void => {
    const bare = pattern.startsWith('!') ? pattern.slice(1) : pattern;
    if (isPlainName(pattern)) errors.push({ kind: 'unknown-project', pattern, message: `no project is named "${bare}".${didYouMean(bare, names)}` });
    else warnings.push({ kind: 'no-match', pattern, message: `${what} "${pattern}" matched no project.` });
  };
  let selected: Set<string> = new Set(universe ?? names);
  if (req.projects?.length) {
    for (const p of req.projects) if (findMatchingProjects([p.startsWith('!') ? p.slice(1) : p], all).length === 0) nothing(p, '--projects');
    selected = intersect(selected, findMatchingProjects(req.projects, all));
  }
  if (plan.filters.length > 0) selected = intersect(selected, [...applyFilters(plan.filters, input, errors, warnings)]);
  if (req.exclude?.length) {
    for (const p of req.exclude) if (findMatchingProjects([p.startsWith('!') ? p.slice(1) : p], all).length === 0) nothing(p, '--exclude');
    const within = all.filter((p) => selected.has(p.name));
    for (const name of findMatchingProjects(req.exclude, within)) selected.delete(name);
  }
  return { projects: [...selected].sort(), errors, warnings };
}

function applyFilters(filters: readonly TurboFilter[], input: SelectionInput, errors: SelectionProblem[], warnings: SelectionProblem[]): Set<string> {
  const names = input.projects.map((p) => p.name);
  const dependents = invert(input.dependencies);
  const expand = (f: TurboFilter): Set<string> => {
    const { names: entries, unknownName } = filterEntries(f, input.projects, input.changed);
    if (unknownName !== undefined)
      errors.push({ kind: 'unknown-project', pattern: f.text, message: `--filter "${f.text}": no project is named "${unknownName}".${didYouMean(unknownName, names)}` });
    else if (entries.length === 0 && f.changed === undefined) warnings.push({ kind: 'no-match', pattern: f.text, message: `--filter "${f.text}" matched no project.` });
    const out = new Set<string>();
    for (const entry of entries) {
      const reached = new Set<string>();
      if (f.dependencies) walk(entry, input.dependencies, reached);
      if (f.dependents) walk(entry, dependents, reached);
      if (!f.excludeSelf) reached.add(entry);
      for (const r of reached) out.add(r);
    }
    return out;
  };
  const includes = filters.filter((f) => !f.exclude);
  const selected = includes.length === 0 ? new Set(names) : new Set(includes.flatMap((f) => [...expand(f)]));
  for (const f of filters.filter((x) => x.exclude)) for (const name of expand(f)) selected.delete(name);
  return selected;
}

/** Everything reachable from `start` along `edges`, `start` itself only if a path leads back to it. */
function walk(start: string, edges: ReadonlyMap<string, readonly string[]> | undefined, reached: Set<string>): void {
  const stack = [...(edges?.get(start) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (reached.has(next)) continue;
    reached.add(next);
    stack.push(...(edges?.get(next) ?? []));
  }
}

function invert(edges: ReadonlyMap<string, readonly string[]> | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [from, tos] of edges ?? []) for (const to of tos) (out.get(to) ?? out.set(to, []).get(to)!).push(from);
  return out;
}

function intersect(a: ReadonlySet<string>, b: readonly string[]): Set<string> {
  return new Set(b.filter((x) => a.has(x)));
}
