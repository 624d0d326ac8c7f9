/**
 * The project graph as `affected` needs it, kept between runs in `.kiln/affected-state.json` so a
 * run after a one-file change reads one small file and rescans only the changed sources.
 *
 * The state describes the work tree as "commit `anchor` plus `dirty` files" and holds, per
 * project, its package.json and implicit edges and how many of its files import each project and
 * each external package. A later run knows the work tree as "commit `anchor'` plus changes", so
 * the files that can differ from the state are the two dirty sets plus the commits between the
 * anchors (a tree diff, no work-tree scan). Those sources are rescanned (old imports from the
 * state or git, new ones from disk) and the counts adjusted; a change to any file that shapes the
 * workspace (project.json, package.json, nx.json, tsconfig, pnpm-workspace.yaml, ignore files)
 * rebuilds everything. Building reads every source file once, as `api/project-graph.ts` does, and
 * produces the same edges (a unit test holds the two together).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NxJsonConfiguration } from '@nx/devkit';
import { workspaceRootPatternsOf, type RootPatternIndex } from '../affected/root-inputs.js';
import type { FileImports, ImportResolver } from '../graph/index.js';
import { KilnError, type ProjectName } from '../model/index.js';
import { git, readFilesAtRef, splitNul, trackedFiles, type FileChange } from '../scm/index.js';
import type { Project, TsconfigPaths, Workspace } from '../workspace/index.js';
import type { ImportScan, ScannedShare } from '../scan/index.js';

// The graph builder and the import scanner load only when the saved view cannot answer alone.
type Graph = typeof import('../graph/index.js');
const loadGraph = (): Promise<Graph> => import('../graph/index.js');

/** Bump to drop every saved state (its shape or the meaning of its counts changed). */
const STATE_VERSION = 2;
/** The same for the compact view alone (it can change shape without the state changing). */
const VIEW_VERSION = 3;
const STATE_FILE = '.kiln/affected-state.json';
const VIEW_FILE = '.kiln/affected-view.json';

interface ProjectState {
  readonly name: string;
  readonly root: string;
  readonly packageName?: string;
  /** `{workspaceRoot}/...` patterns its targets name (project-level affected touches it when one changes). */
  readonly rootInputs: readonly string[];
  /** package.json edges to workspace projects. */
  readonly packageEdges: readonly string[];
  /** package.json dependencies on external packages. */
  readonly packageExternal: readonly string[];
  readonly implicitAdd: readonly string[];
  readonly implicitRemove: readonly string[];
}

interface State {
  readonly version: number;
  /** A digest of the rest, written with the state and the view saved with it: a view with the same stamp shows this state's graph. */
  readonly stamp: string;
  readonly root: string;
  readonly anchor: string;
  /** Work-tree files that differ from `anchor`: path → content digest, null when deleted. */
  readonly dirty: Record<string, string | null>;
  /** The imports of the dirty source files, as they were. */
  readonly dirtyImports: Record<string, FileImports>;
  readonly nxJson: NxJsonConfiguration;
  readonly tsconfigPaths?: TsconfigPaths;
  readonly projects: readonly ProjectState[];
  /** Project → project it imports → number of its files that do. */
  readonly importEdges: Record<string, Record<string, number>>;
  /** Project → external package it imports → number of its files that do. */
  readonly importExternal: Record<string, Record<string, number>>;
}

/** The graph view `affected` works on; `workspace` is there when it was read in full. */
export interface AffectedGraphView {
  readonly root: string;
  readonly nxJson: NxJsonConfiguration;
  readonly tsconfigFile?: string;
  readonly projects: readonly { readonly name: string; readonly root: string; readonly rootInputs: readonly string[] }[];
  /** Project → the projects it depends on. */
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  /** Project → the external packages it uses (package.json and imports). */
  readonly external: ReadonlyMap<string, readonly string[]>;
  readonly workspace?: Workspace;
  /** Project → the projects that depend on it, when the view came with them (else derive them from `dependencies`). */
  readonly dependents?: ReadonlyMap<string, readonly string[]>;
  /** The `{workspaceRoot}` patterns and who names them, when the view came with them (else derive them from `projects`). */
  readonly rootPatterns?: RootPatternIndex;
  /** Whether the saved state was used (`reused`), updated from it (`updated`) or rebuilt (`built`). */
  readonly source: 'reused' | 'updated' | 'built';
}

/** Files whose change reshapes the workspace itself, not just one project's sources. */
export function shapesWorkspace(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return (
    base === 'project.json' ||
    base === 'package.json' ||
    base === '.gitignore' ||
    base === '.nxignore' ||
    path === 'nx.json' ||
    path === 'pnpm-workspace.yaml' ||
    path === 'tsconfig.base.json' ||
    path === 'tsconfig.json'
  );
}

/**
 * The graph of the work tree, described as commit `anchor` plus `worktree` changes (relative to
 * `anchor`). Reuses or updates the saved state when it can; with `full`, always reads the whole
 * workspace (task level and configuration diffs need every target), still reusing the edges.
 */
export async function affectedGraph(
  root: string,
  anchor: string,
  worktree: readonly FileChange[],
  options: { full: boolean; saved?: SavedGraphView; cold?: ColdBuild },
): Promise<AffectedGraphView> {
  const digests = digestsOf(root, worktree);
  // Nothing changed since the last run: the compact view alone answers (a few hundred KB to parse, not the whole state).
  const saved = options.saved ?? loadSavedView(root);
  if (saved.view !== undefined && saved.view.anchor === anchor && sameDigests(saved.view.dirty, digests)) {
    const view = saved.expanded();
    return options.full ? { ...view, workspace: await readWorkspaceAt(root, worktree) } : view;
  }
  const state = options.saved ? options.saved.state() : loadState(root);
  if (state !== undefined) {
    const since = await changedSinceState(root, state, anchor, digests);
    if (since !== undefined && !since.some(shapesWorkspace)) {
      const g = await loadGraph();
      const { state: updated, importsChanged } = since.length === 0 ? { state, importsChanged: false } : await update(g, root, state, anchor, since);
      // No rescanned file imports anything else than before (most edits): the graph is the saved
      // view's, so only the view's account of the work tree moves on. The state stays as it was; it
      // still describes its own work tree exactly, and the next run compares against that.
      if (!importsChanged && state.anchor === anchor && saved.view !== undefined && saved.view.stamp === state.stamp) {
        saveView(root, { ...saved.view, anchor, dirty: digests });
        const view = saved.expanded('updated');
        return options.full ? { ...view, workspace: await readWorkspaceAt(root, worktree) } : view;
      }
      const next: State = { ...updated, anchor, dirty: digests, dirtyImports: dirtyImportsOf(g, root, digests) };
      if (since.length > 0 || state.anchor !== anchor || !sameDigests(state.dirty, digests) || saved.view === undefined || saved.view.anchor !== anchor) saveState(root, next);
      const view = viewOf(next, since.length === 0 ? 'reused' : 'updated');
      if (!options.full) return view;
      return { ...view, workspace: await readWorkspaceAt(root, worktree) };
    }
  }
  // Scanning every source file is the slow part: it runs on worker threads while this thread reads
  // the configuration (and, when `startColdBuild` began it, while git status was still running),
  // then this thread joins in.
  const tracked = await (options.cold?.tracked ?? trackedFiles(root));
  const files = withUntracked(tracked, worktree);
  const [g, { scanImportTables, startImportScan }] = await Promise.all([loadGraph(), import('../scan/index.js')]);
  const scan = options.cold ? await options.cold.scan : startImportScan(root, files.filter(g.isScannedSource));
  const { readWorkspace } = await import('../workspace/index.js');
  const ws = readWorkspace(root, files);
  scan.help();
  const untracked = options.cold ? scanImportTables(root, files.slice(tracked.length).filter(g.isScannedSource)) : Promise.resolve([]);
  const scans = [...(await scan.done), ...(await untracked)];
  const built = build(g, ws, scans, anchor, digests, dirtyImportsOf(g, root, digests));
  saveState(root, built);
  return { ...viewOf(built, 'built'), workspace: ws };
}

/** The whole workspace (loaded lazily: the parsers are only needed on this path). */
async function readWorkspaceAt(root: string, worktree: readonly FileChange[]): Promise<Workspace> {
  const { readWorkspace } = await import('../workspace/index.js');
  return readWorkspace(root, await workspaceFiles(root, worktree));
}

/** Tracked files (from the index) plus the untracked ones among the changes. */
async function workspaceFiles(root: string, worktree: readonly FileChange[]): Promise<string[]> {
  return withUntracked(await trackedFiles(root), worktree);
}

/** `tracked` (not changed) followed by the files the work tree adds to it. */
function withUntracked(tracked: readonly string[], worktree: readonly FileChange[]): string[] {
  const files = [...tracked];
  const known = new Set<string>();
  for (const c of worktree)
    if (c.status === 'added' || c.status === 'renamed' || c.status === 'copied') {
      if (known.size === 0) for (const f of files) known.add(f);
      if (!known.has(c.path)) {
        known.add(c.path);
        files.push(c.path);
      }
    }
  return files;
}

/** A graph build started before the work tree's changes are known: the tracked files and the scan of their sources. */
export interface ColdBuild {
  readonly tracked: Promise<string[]>;
  readonly scan: Promise<ImportScan>;
}

/**
 * With no saved state at all, the graph will be built from nothing: start listing and scanning the
 * tracked files now, while git status runs (each file is read from the work tree either way; the
 * untracked ones are added once status has named them). `listed`: `git ls-files -z --cached`, when
 * the caller started it already. Undefined when a saved state exists.
 */
export function startColdBuild(root: string, listed?: Promise<string>): ColdBuild | undefined {
  if (existsSync(join(root, STATE_FILE))) return undefined;
  const tracked = trackedFiles(root, listed);
  const scan = (async () => {
    const files = await tracked;
    const [g, { startImportScan }] = await Promise.all([loadGraph(), import('../scan/index.js')]);
    return startImportScan(root, files.filter(g.isScannedSource));
  })();
  // Read only if the build happens (not when git fails first): never an unhandled rejection.
  tracked.catch(() => undefined);
  scan.catch(() => undefined);
  return { tracked, scan };
}

/** A digest of each changed file's current content (null: deleted). */
function digestsOf(root: string, worktree: readonly FileChange[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const c of [...worktree].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    for (const p of 'from' in c ? [c.from, c.path] : [c.path]) {
      if (p in out) continue;
      const text = readText(root, p);
      out[p] = text === undefined ? null : createHash('sha1').update(text).digest('hex');
    }
  }
  return out;
}

function dirtyImportsOf(g: Graph, root: string, digests: Record<string, string | null>): Record<string, FileImports> {
  const out: Record<string, FileImports> = {};
  for (const [p, d] of Object.entries(digests)) {
    if (d === null || !g.isSourceFile(p)) continue;
    const text = readText(root, p);
    if (text !== undefined) out[p] = g.scanImports(text);
  }
  return out;
}

/**
 * The paths that may differ between the state's work tree and this one, or undefined when the
 * state cannot be related to it (its anchor commit is gone).
 */
async function changedSinceState(root: string, state: State, anchor: string, digests: Record<string, string | null>): Promise<string[] | undefined> {
  const out = new Set<string>();
  if (state.anchor === anchor) {
    for (const [p, d] of Object.entries(digests)) if (!(p in state.dirty) || state.dirty[p] !== d) out.add(p);
    for (const p of Object.keys(state.dirty)) if (!(p in digests)) out.add(p);
  } else {
    const r = await git(root, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', '--relative', state.anchor, anchor]);
    if (r.code !== 0) return undefined;
    for (const p of splitNul(r.stdout)) out.add(p);
    for (const p of Object.keys(digests)) out.add(p);
    for (const p of Object.keys(state.dirty)) out.add(p);
  }
  return [...out].sort();
}

/** Rescans the sources among `paths`: subtracts what they imported in the state, adds what they import now. */
async function update(g: Graph, root: string, state: State, anchor: string, paths: readonly string[]): Promise<{ state: State; importsChanged: boolean }> {
  void anchor;
  const sources = paths.filter(g.isSourceFile);
  if (sources.length === 0) return { state, importsChanged: false };
  const atAnchor = await readFilesAtRef(root, state.anchor, sources.filter((p) => !(p in state.dirty)));
  const rescanned = sources.map((file) => {
    const oldText = file in state.dirty ? undefined : atAnchor.get(file);
    const before = file in state.dirty ? state.dirtyImports[file] : oldText === undefined ? undefined : g.scanImports(oldText);
    const nowText = readText(root, file);
    return { file, before, after: nowText === undefined ? undefined : g.scanImports(nowText) };
  });
  if (rescanned.every((r) => sameImports(r.before, r.after))) return { state, importsChanged: false };
  const projects = stubProjects(state);
  const locator = new g.ProjectLocator(projects.values());
  const resolver = new g.ImportResolver(projects.values(), locator, state.tsconfigPaths);
  const rootProject = state.projects.find((p) => p.root === '')?.name;
  const importEdges = structuredClone(state.importEdges);
  const importExternal = structuredClone(state.importExternal);
  for (const { file, before, after } of rescanned) {
    const owner = locator.projectOf(file);
    if (owner === undefined) continue;
    apply(importEdges, importExternal, owner, file, before, resolver, rootProject, -1);
    apply(importEdges, importExternal, owner, file, after, resolver, rootProject, +1);
  }
  return { state: { ...state, importEdges, importExternal }, importsChanged: true };
}

/** The same specifiers in the same order (a file that is gone equals only a file that is gone). */
function sameImports(a: FileImports | undefined, b: FileImports | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const same = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((s, i) => s === y[i]);
  return same(a.static, b.static) && same(a.dynamic, b.dynamic);
}

/** Adds (`sign` +1) or removes (-1) one file's import edges to the counts, as `buildProjectGraph` derives them. */
function apply(
  edges: Record<string, Record<string, number>>,
  external: Record<string, Record<string, number>>,
  owner: string,
  file: string,
  found: FileImports | undefined,
  resolver: ImportResolver,
  rootProject: string | undefined,
  sign: 1 | -1,
): void {
  if (found === undefined) return;
  const targets = new Set<string>();
  const packages = new Set<string>();
  for (const specifier of [...found.static, ...found.dynamic]) {
    const r = resolver.resolve(specifier, file);
    if (r === undefined) continue;
    if ('external' in r) packages.add(r.external);
    else if (r.project !== owner && (r.project !== rootProject || owner === rootProject)) targets.add(r.project);
  }
  const bump = (map: Record<string, Record<string, number>>, key: string): void => {
    const counts = (map[owner] ??= {});
    const n = (counts[key] ?? 0) + sign;
    if (n > 0) counts[key] = n;
    else delete counts[key];
  };
  for (const t of targets) bump(edges, t);
  for (const p of packages) bump(external, p);
}

/** Reads and scans every project source file, then derives the state from the workspace and the scans. */
function build(g: Graph, ws: Workspace, scans: readonly ScannedShare[], anchor: string, dirty: Record<string, string | null>, dirtyImports: Record<string, FileImports>): State {
  const locator = new g.ProjectLocator(ws.projects.values());
  const resolver = new g.ImportResolver(ws.projects.values(), locator, ws.tsconfigPaths);
  const rootProject = [...ws.projects.values()].find((p) => p.root === '')?.name;
  const importEdges: Record<string, Record<string, number>> = {};
  const importExternal: Record<string, Record<string, number>> = {};
  // `apply(..., +1)` per file: each file counts once per project and package it imports.
  let owner: string | undefined;
  const targets: string[] = [];
  const packages: string[] = [];
  const flush = (): void => {
    if (owner === undefined) return;
    if (targets.length > 0) {
      const counts = (importEdges[owner] ??= {});
      for (const t of targets) counts[t] = (counts[t] ?? 0) + 1;
    }
    if (packages.length > 0) {
      const counts = (importExternal[owner] ??= {});
      for (const p of packages) counts[p] = (counts[p] ?? 0) + 1;
    }
  };
  const roots = [...ws.projects.values()].map((p) => p.root);
  g.walkImportTables(scans, locator, resolver, roots, {
    file(source) {
      flush();
      owner = source;
      targets.length = 0;
      packages.length = 0;
    },
    import(source, r) {
      if ('external' in r) {
        if (!packages.includes(r.external)) packages.push(r.external);
      } else if (r.project !== source && (r.project !== rootProject || source === rootProject) && !targets.includes(r.project)) targets.push(r.project);
    },
  });
  flush();
  const projects: ProjectState[] = [];
  for (const p of ws.projects.values()) {
    const packageEdges = new Set<string>();
    const packageExternal = new Set<string>();
    for (const deps of Object.values(p.packageJson?.dependencies ?? {}))
      for (const pkg of Object.keys(deps)) {
        const target = resolver.projectOfPackage(pkg);
        if (target === undefined) packageExternal.add(pkg);
        else if (target !== p.name) packageEdges.add(target);
      }
    const resolved = p.implicitDependencies.length > 0 ? g.resolveImplicitDependencies(p, ws.projects) : { value: { add: [], remove: [] }, problems: [] };
    if (resolved.problems.length > 0) throw new KilnError(resolved.problems);
    const implicit = resolved.value;
    projects.push({
      name: p.name,
      root: p.root,
      ...(p.packageJson?.name !== undefined && { packageName: p.packageJson.name }),
      rootInputs: workspaceRootPatternsOf({ name: p.name, targets: p.targets as never, ...(p.namedInputs && { namedInputs: p.namedInputs as never }) }, ws.nxJson.namedInputs as never),
      packageEdges: [...packageEdges].sort(),
      packageExternal: [...packageExternal].sort(),
      implicitAdd: [...implicit.add].sort(),
      implicitRemove: [...implicit.remove].sort(),
    });
  }
  return {
    version: STATE_VERSION,
    stamp: '',
    root: ws.root,
    anchor,
    dirty,
    dirtyImports,
    nxJson: ws.nxJson,
    ...(ws.tsconfigPaths && { tsconfigPaths: ws.tsconfigPaths }),
    projects,
    importEdges,
    importExternal,
  };
}

/** Just enough of each project for the import resolver: name, root, package name. */
function stubProjects(state: State): Map<ProjectName, Project> {
  const out = new Map<ProjectName, Project>();
  for (const p of state.projects)
    out.set(p.name as ProjectName, {
      name: p.name,
      root: p.root,
      ...(p.packageName !== undefined && { packageJson: { name: p.packageName } }),
    } as unknown as Project);
  return out;
}

function viewOf(state: State, source: AffectedGraphView['source']): AffectedGraphView {
  const dependencies = new Map<string, string[]>();
  const external = new Map<string, string[]>();
  for (const p of state.projects) {
    const deps = new Set([...p.packageEdges, ...Object.keys(state.importEdges[p.name] ?? {})]);
    for (const r of p.implicitRemove) deps.delete(r);
    for (const a of p.implicitAdd) if (a !== p.name) deps.add(a);
    dependencies.set(p.name, [...deps].sort());
    external.set(p.name, [...new Set([...p.packageExternal, ...Object.keys(state.importExternal[p.name] ?? {})])].sort());
  }
  return {
    root: state.root,
    nxJson: state.nxJson,
    ...(state.tsconfigPaths && { tsconfigFile: state.tsconfigPaths.file }),
    projects: state.projects.map((p) => ({ name: p.name, root: p.root, rootInputs: p.rootInputs })),
    dependencies,
    external,
    source,
  };
}


/** The compact view saved by the last run, read ahead of need (while git works); `expanded` is computed once. */
export interface SavedGraphView {
  readonly view: SavedView | undefined;
  /** The view (with `source` as given, `reused` by default); its parts are built once and shared. */
  expanded(source?: AffectedGraphView['source']): AffectedGraphView;
  /** The full saved state, read once (on first call), for when the view alone will not do. */
  state(): State | undefined;
  /**
   * Whether the view still describes the work tree as far as can be told before git answers: the
   * files it holds as changed have the digests it recorded, and `anchor` (when known) is its own.
   */
  looksCurrent(anchor?: string): boolean;
}

/** Reads the saved compact view now, so a caller can do it while it waits for git. */
export function loadSavedView(root: string): SavedGraphView {
  const view = loadView(root);
  let expanded: ((source: AffectedGraphView['source']) => AffectedGraphView) | undefined;
  let state: { value: State | undefined } | undefined;
  return {
    view,
    expanded: (source = 'reused') => (expanded ??= expandView(view!))(source),
    state: () => (state ??= { value: loadState(root) }).value,
    looksCurrent: (anchor) =>
      view !== undefined &&
      (anchor === undefined || anchor === view.anchor) &&
      Object.entries(view.dirty).every(([p, d]) => {
        const text = readText(root, p);
        return (text === undefined ? null : createHash('sha1').update(text).digest('hex')) === d;
      }),
  };
}

/** The view as saved next to the state: projects by index, so it parses quickly. */
interface SavedView {
  readonly version: number;
  /** The stamp of the state whose graph this is (the view may describe a later work tree with the same graph). */
  readonly stamp: string;
  readonly root: string;
  readonly anchor: string;
  readonly dirty: Record<string, string | null>;
  readonly nxJson: NxJsonConfiguration;
  readonly tsconfigFile?: string;
  readonly names: readonly string[];
  readonly roots: readonly string[];
  readonly deps: readonly (readonly number[])[];
  readonly packages: readonly string[];
  readonly external: readonly (readonly number[])[];
  /** Pattern → the projects whose targets name it, in name order. */
  readonly rootInputs: Readonly<Record<string, readonly number[]>>;
  /** The reverse of `deps`. */
  readonly dependents: readonly (readonly number[])[];
}

function compactView(state: State): SavedView {
  const view = viewOf(state, 'reused');
  const index = new Map(view.projects.map((p, i) => [p.name, i]));
  const packages = [...new Set([...view.external.values()].flat())].sort();
  const pkgIndex = new Map(packages.map((p, i) => [p, i]));
  const rootInputs: Record<string, number[]> = {};
  view.projects.forEach((p, i) => p.rootInputs.forEach((pattern) => (rootInputs[pattern] ??= []).push(i)));
  const byName = (a: number, b: number): number => (view.projects[a]!.name < view.projects[b]!.name ? -1 : 1);
  for (const list of Object.values(rootInputs)) list.sort(byName);
  const deps = view.projects.map((p) => (view.dependencies.get(p.name) ?? []).map((d) => index.get(d)!).filter((i) => i !== undefined));
  const dependents: number[][] = view.projects.map(() => []);
  deps.forEach((list, i) => list.forEach((d) => dependents[d]!.push(i)));
  return {
    version: VIEW_VERSION,
    stamp: state.stamp,
    root: state.root,
    anchor: state.anchor,
    dirty: state.dirty,
    nxJson: state.nxJson,
    ...(view.tsconfigFile !== undefined && { tsconfigFile: view.tsconfigFile }),
    names: view.projects.map((p) => p.name),
    roots: view.projects.map((p) => p.root),
    deps,
    packages,
    external: view.projects.map((p) => (view.external.get(p.name) ?? []).map((e) => pkgIndex.get(e)!)),
    rootInputs,
    dependents,
  };
}

/**
 * The view from its compact form. A warm project-level run reads the reverse edges and the
 * root-input patterns, which come ready; the forward edges and external packages are built the
 * first time something asks for them.
 */
function expandView(v: SavedView): (source: AffectedGraphView['source']) => AffectedGraphView {
  const names = v.names;
  const inputs: string[][] = names.map(() => []);
  const rootPatterns: [string, string[]][] = [];
  for (const pattern of Object.keys(v.rootInputs).sort()) {
    const list = v.rootInputs[pattern]!;
    for (const i of list) inputs[i]!.push(pattern);
    rootPatterns.push([pattern, list.map((i) => names[i]!)]);
  }
  const dependents = new Map<string, string[]>();
  v.dependents.forEach((list, i) => list.length > 0 && dependents.set(names[i]!, list.map((d) => names[d]!)));
  let dependencies: Map<string, string[]> | undefined;
  let external: Map<string, string[]> | undefined;
  const projects = names.map((name, i) => ({ name, root: v.roots[i]!, rootInputs: inputs[i]! }));
  return (source) => ({
    root: v.root,
    nxJson: v.nxJson,
    ...(v.tsconfigFile !== undefined && { tsconfigFile: v.tsconfigFile }),
    projects,
    get dependencies() {
      return (dependencies ??= new Map(names.map((name, i) => [name, v.deps[i]!.map((d) => names[d]!)])));
    },
    get external() {
      return (external ??= new Map(names.map((name, i) => [name, v.external[i]!.map((e) => v.packages[e]!)])));
    },
    dependents,
    rootPatterns,
    source,
  });
}

function loadView(root: string): SavedView | undefined {
  try {
    const v = JSON.parse(readFileSync(join(root, VIEW_FILE), 'utf8')) as SavedView;
    return v.version === VIEW_VERSION && v.root === root ? v : undefined;
  } catch {
    return undefined;
  }
}

function loadState(root: string): State | undefined {
  try {
    const s = JSON.parse(readFileSync(join(root, STATE_FILE), 'utf8')) as State;
    return s.version === STATE_VERSION && s.root === root ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Written atomically; a state that cannot be written only costs the next run its speed. */
function saveState(root: string, unstamped: State): void {
  // The stamp is a digest of the rest, so equal states carry equal stamps and the files stay deterministic.
  const { stamp: _, ...rest } = unstamped;
  // The scanning threads claim files in whatever order they get to them: counts go out sorted.
  const body = JSON.stringify({ ...rest, importEdges: sortedCounts(rest.importEdges), importExternal: sortedCounts(rest.importExternal) });
  const stamp = createHash('sha1').update(body).digest('hex');
  writeKilnFile(root, STATE_FILE, () => `{"stamp":${JSON.stringify(stamp)},${body.slice(1)}`);
  writeKilnFile(root, VIEW_FILE, () => JSON.stringify(compactView({ ...unstamped, stamp })));
}

function sortedCounts(counts: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  const byName = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);
  return Object.fromEntries(Object.entries(counts).sort(byName).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).sort(byName))]));
}

/** The view alone, for a work tree whose graph is still the one the saved state (same stamp) describes. */
function saveView(root: string, view: SavedView): void {
  writeKilnFile(root, VIEW_FILE, () => JSON.stringify(view));
}

/** Written atomically; a file that cannot be written only costs the next run its speed. */
function writeKilnFile(root: string, file: string, text: () => string): void {
  try {
    const dir = join(root, '.kiln');
    mkdirSync(dir, { recursive: true });
    // kiln's own files are never part of the work tree git reports.
    writeIfMissing(join(dir, '.gitignore'), '*\n');
    const tmp = join(dir, `affected-state.${process.pid}.tmp`);
    writeFileSync(tmp, text());
    renameSync(tmp, join(root, file));
  } catch (error) {
    if (error instanceof KilnError) throw error;
  }
}

function writeIfMissing(path: string, text: string): void {
  try {
    writeFileSync(path, text, { flag: 'wx' });
  } catch {
    // exists
  }
}

function sameDigests(a: Record<string, string | null>, b: Record<string, string | null>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && a[k] === b[k]);
}

function readText(root: string, path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}
