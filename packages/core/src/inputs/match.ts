import micromatch from 'micromatch';
// The index alone, not graph/'s index.ts: task-level `kiln affected` loads inputs/ without the graph builder.
import { ProjectIndex } from '../graph/project-index.js';
import { isWithin } from '../model/index.js';
import type { ProjectFileset, ResolvedInputs } from './resolve.js';

/** Which project a file belongs to: the one with the deepest root containing it (Nx's project file map). */
export type FileOwner = (file: string) => string | undefined;

/** `FileOwner` over graph's one file-to-project index, for projects keyed by name. */
export function createFileOwner(projects: Readonly<Record<string, { readonly root: string }>>): FileOwner {
  const index = new ProjectIndex(Object.entries(projects).map(([name, p]) => ({ name, root: p.root })));
  return (file) => index.projectOfFile(file);
}

const compiled = new Map<string, (path: string) => boolean>();

/** A matcher for a set of globs, compiled once per distinct set (dot files included, as Nx does). */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  const key = globs.join('\0');
  let m = compiled.get(key);
  if (!m) {
    const one = globs.map((g) => fastPath(g) ?? micromatch.matcher(g, { dot: true }));
    m = one.length === 1 ? one[0]! : (path) => one.some((f) => f(path));
    compiled.set(key, m);
  }
  return m;
}

/** `dir/**` and `dir/**\/*` match everything below `dir`: a prefix test, much cheaper than a regex. */
function fastPath(glob: string): ((path: string) => boolean) | undefined {
  const m = /^((?:[^*?[\]{}()!+@]+\/)*?[^*?[\]{}()!+@/]*)\/\*\*(?:\/\*)?$/.exec(glob);
  if (m) {
    const dir = m[1]!;
    const self = !glob.endsWith('/*'); // `dir/**` also matches `dir` itself; `dir/**/*` does not
    return (path) => (path.length > dir.length && path.startsWith(dir) && path.charCodeAt(dir.length) === 47) || (self && path === dir);
  }
  if (glob === '**/*' || glob === '**') return () => true;
  const special = /[*?[\]{}()!+@]/;
  // A literal path.
  if (!special.test(glob)) return (path) => path === glob;
  // `dir/**/*.ext` (or `**/*.ext`): below dir, name ending in a literal suffix.
  const ext = /^(?:((?:[^*?[\]{}()!+@/]+\/)*[^*?[\]{}()!+@/]+)\/)?\*\*\/\*([^*?[\]{}()!+@/]+)$/.exec(glob);
  if (ext) {
    const dir = ext[1];
    const suffix = ext[2]!;
    if (dir === undefined) return (path) => path.endsWith(suffix) && path.lastIndexOf('/') < path.length - suffix.length;
    return (path) =>
      path.length > dir.length + suffix.length && path.startsWith(dir) && path.charCodeAt(dir.length) === 47 && path.endsWith(suffix) && path.lastIndexOf('/') < path.length - suffix.length;
  }
  return undefined;
}

export interface InputMatcher {
  /** True when `file` (repository-relative, owned by `owner`) is an input of the task. */
  matches(file: string, owner: string | undefined): boolean;
  /** The fileset projects, for narrowing a file list before matching. */
  readonly filesets: readonly ProjectFileset[];
}

/** Compiles resolved inputs into a predicate over files. */
export function compileInputs(inputs: ResolvedInputs): InputMatcher {
  const sets = inputs.filesets.map((f) => ({
    project: f.project as string,
    pi: globMatcher(f.project_include),
    pe: globMatcher(f.project_exclude),
    wi: globMatcher(f.workspace_include),
    we: globMatcher(f.workspace_exclude),
    hasWorkspace: f.workspace_include.length > 0,
  }));
  return {
    filesets: inputs.filesets,
    matches(file, owner) {
      for (const s of sets) {
        if (owner === s.project && s.pi(file) && !s.pe(file)) return true;
        if (s.hasWorkspace && s.wi(file) && !s.we(file)) return true;
      }
      return false;
    },
  };
}

/**
 * The input files of a task among `files`, sorted. `filesByOwner` groups the same files by
 * owning project so `{projectRoot}` sets only look at their own project's files.
 */
export function selectInputFiles(
  inputs: Pick<ResolvedInputs, 'filesets'>,
  files: readonly string[],
  filesByOwner: ReadonlyMap<string, readonly string[]>,
): string[] {
  const out = new Set<string>();
  for (const f of inputs.filesets) {
    if (f.project_include.length > 0) {
      const inc = globMatcher(f.project_include);
      const exc = globMatcher(f.project_exclude);
      for (const file of filesByOwner.get(f.project) ?? []) if (inc(file) && !exc(file)) out.add(file);
    }
    if (f.workspace_include.length > 0) for (const file of workspaceSelection(f.workspace_include, f.workspace_exclude, files)) out.add(file);
  }
  return [...out].sort();
}

// Workspace-wide sets (like `sharedGlobals`) recur in every task: select each once per file list.
const workspaceSelections = new WeakMap<readonly string[], Map<string, readonly string[]>>();
const fileSets = new WeakMap<readonly string[], Set<string>>();

function workspaceSelection(include: readonly string[], exclude: readonly string[], files: readonly string[]): readonly string[] {
  let memo = workspaceSelections.get(files);
  if (!memo) workspaceSelections.set(files, (memo = new Map()));
  const key = `${include.join('\0')}\0\0${exclude.join('\0')}`;
  let hit = memo.get(key);
  if (hit) return hit;
  const exc = globMatcher(exclude);
  if (include.every((g) => !/[*?[\]{}()!+@]/.test(g))) {
    // Literal paths: look them up instead of scanning.
    let set = fileSets.get(files);
    if (!set) fileSets.set(files, (set = new Set(files)));
    hit = include.filter((g) => set!.has(g) && !exc(g));
  } else {
    const inc = globMatcher(include);
    hit = workspaceCandidates(include, files).filter((file) => inc(file) && !exc(file));
  }
  memo.set(key, hit);
  return hit;
}

/** Files that could match workspace globs: all of them unless every glob starts with a literal directory. */
function workspaceCandidates(globs: readonly string[], files: readonly string[]): readonly string[] {
  const prefixes: string[] = [];
  for (const g of globs) {
    const literal = /^[^*?[\]{}()!+@]*/.exec(g)![0];
    if (literal === g) {
      prefixes.push(g);
      continue;
    }
    const slash = literal.lastIndexOf('/');
    if (slash <= 0) return files;
    prefixes.push(literal.slice(0, slash));
  }
  return files.filter((f) => prefixes.some((p) => isWithin(f, p)));
}

/** Groups files by owning project. */
export function groupByOwner(files: readonly string[], owner: FileOwner): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const o = owner(f);
    if (o === undefined) continue;
    let g = groups.get(o);
    if (!g) groups.set(o, (g = []));
    g.push(f);
  }
  return groups;
}
