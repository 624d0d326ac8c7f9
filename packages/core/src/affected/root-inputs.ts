import { createRequire } from 'node:module';
import type Micromatch from 'micromatch';
import type { Touch } from './types.js';

// Loaded on first use: most patterns are plain paths, and loading the matcher costs more than the rest of a warm run's matching.
let matcher: typeof Micromatch | undefined;
const micromatch = (): typeof Micromatch => (matcher ??= createRequire(import.meta.url)('micromatch') as typeof Micromatch);

/** A pattern that can only match itself: plain path segments, none of them `.` or `..`, no glob syntax. */
const isPlainPath = (pattern: string): boolean => /^[\w.-]+(\/[\w.-]+)*$/.test(pattern) && !pattern.split('/').some((s) => s === '.' || s === '..');

export interface ProjectInputs {
  readonly name: string;
  readonly targets: Readonly<Record<string, { readonly inputs?: readonly unknown[] }>>;
  readonly namedInputs?: Readonly<Record<string, readonly unknown[]>>;
}

/**
 * Project level: a changed file that a project's target inputs name as `{workspaceRoot}/...`
 * (directly or through named inputs) touches that project, as Nx's implicit-dependency locator
 * does. Task level leaves this to the input resolver.
 */
export function workspaceRootInputTouches(
  projects: readonly ProjectInputs[],
  nxNamedInputs: Readonly<Record<string, readonly unknown[]>> | undefined,
  changed: readonly string[],
): Touch[] {
  return touchesFromRootPatterns(
    projects.map((p) => ({ name: p.name, patterns: workspaceRootPatternsOf(p, nxNamedInputs) })),
    changed,
  );
}

/** The `{workspaceRoot}/...` patterns (without the prefix) a project's targets name, sorted. */
export function workspaceRootPatternsOf(project: ProjectInputs, nxNamedInputs: Readonly<Record<string, readonly unknown[]>> | undefined): string[] {
  const named = { ...nxNamedInputs, ...project.namedInputs };
  const out = new Set<string>();
  for (const target of Object.values(project.targets)) for (const p of workspaceRootPatterns(target.inputs ?? [], named, new Set())) out.add(p);
  return [...out].sort();
}

/** Touches from precomputed `{workspaceRoot}` patterns per project. */
export function touchesFromRootPatterns(projects: readonly { readonly name: string; readonly patterns: readonly string[] }[], changed: readonly string[]): Touch[] {
  return changed.length === 0 ? [] : touchesFromRootPatternIndex(rootPatternIndex(projects), changed);
}

/** Each `{workspaceRoot}` pattern (sorted) with the projects that name it (sorted): built once, matched against many change sets. */
export type RootPatternIndex = readonly (readonly [pattern: string, projects: readonly string[]])[];

export function rootPatternIndex(projects: readonly { readonly name: string; readonly patterns: readonly string[] }[]): RootPatternIndex {
  const byPattern = new Map<string, Set<string>>();
  for (const p of projects)
    for (const pattern of p.patterns) {
      let set = byPattern.get(pattern);
      if (!set) byPattern.set(pattern, (set = new Set()));
      set.add(p.name);
    }
  return [...byPattern].sort(([a], [b]) => (a < b ? -1 : 1)).map(([pattern, names]) => [pattern, [...names].sort()] as const);
}

export function touchesFromRootPatternIndex(index: RootPatternIndex, changed: readonly string[]): Touch[] {
  const touches: Touch[] = [];
  if (changed.length === 0) return touches;
  for (const [pattern, names] of index) {
    const hits = isPlainPath(pattern) ? changed.filter((file) => file === pattern) : micromatch()(changed as string[], pattern, { dot: true });
    for (const file of hits) for (const project of names) touches.push({ project, reason: { kind: 'file', file, detail: `an input: {workspaceRoot}/${pattern}` } });
  }
  return touches;
}

function workspaceRootPatterns(inputs: readonly unknown[], named: Record<string, readonly unknown[]>, seen: Set<string>): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    const text = typeof input === 'string' ? input : (input as { fileset?: unknown } | null)?.fileset;
    if (typeof text !== 'string') continue;
    if (typeof input === 'string' && text in named && !seen.has(text)) {
      seen.add(text);
      out.push(...workspaceRootPatterns(named[text] ?? [], named, seen));
    } else if (text.startsWith('{workspaceRoot}/')) out.push(text.slice('{workspaceRoot}/'.length));
  }
  return out;
}
