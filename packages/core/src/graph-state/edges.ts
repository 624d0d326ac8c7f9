/**
 * The state's graph from the workspace and a scan of every source file (`build`), and its import
 * counts adjusted for rescanned files (`update`): each file counts once per project and package it
 * imports, as `buildProjectGraph` derives the edges.
 */
import type { FileImports, ImportResolver } from '../graph/index.js';
import { KilnError, type ProjectName } from '../model/index.js';
import type { ScannedShare } from '../scan/index.js';
import { git, readFilesAtRef, splitNul } from '../scm/index.js';
import type { Project, Workspace } from '../workspace/index.js';
import { executorPackages } from '../workspace/executors.js';
import { contentDigest, readText, STATE_VERSION } from './store.js';
import type { ProjectState, State } from './types.js';
import { rootInputsOf } from './view.js';

export type Graph = typeof import('../graph/index.js');


export function dirtyImportsOf(g: Graph, root: string, digests: Record<string, string | null>): Record<string, FileImports> {
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
export async function changedSinceState(root: string, state: State, anchor: string, digests: Record<string, string | null>): Promise<string[] | undefined> {
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

/** Rescans the sources among `paths`: subtracts what they imported in the state, adds what they import now (`scanned`: what each imports now, undefined when gone). */
export async function update(g: Graph, root: string, state: State, anchor: string, paths: readonly string[]): Promise<{ state: State; importsChanged: boolean; scanned: ReadonlyMap<string, FileImports | undefined> }> {
  void anchor;
  const sources = paths.filter(g.isSourceFile);
  if (sources.length === 0) return { state, importsChanged: false, scanned: new Map() };
  const atAnchor = await readFilesAtRef(root, state.anchor, sources.filter((p) => !(p in state.dirty)));
  const rescanned = sources.map((file) => {
    const oldText = file in state.dirty ? undefined : atAnchor.get(file);
    const before = file in state.dirty ? state.dirtyImports[file] : oldText === undefined ? undefined : g.scanImports(oldText);
    const nowText = readText(root, file);
    return { file, before, after: nowText === undefined ? undefined : g.scanImports(nowText) };
  });
  const scanned = new Map(rescanned.map((r) => [r.file, r.after]));
  if (rescanned.every((r) => sameImports(r.before, r.after))) return { state, importsChanged: false, scanned };
  const projects = stubProjects(state);
  const locator = new g.ProjectIndex(projects.values());
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
  return { state: { ...state, importEdges, importExternal }, importsChanged: true, scanned };
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
export function build(g: Graph, ws: Workspace, scans: readonly ScannedShare[], anchor: string, dirty: Record<string, string | null>, dirtyImports: Record<string, FileImports>): State {
  const locator = new g.ProjectIndex(ws.projects.values());
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
    // The packages of the executors its targets use: their version change touches it (nx's own are global).
    for (const pkg of executorPackages(p.targets)) if (resolver.projectOfPackage(pkg) === undefined) packageExternal.add(pkg);
    const resolved = p.implicitDependencies.length > 0 ? g.resolveImplicitDependencies(p, ws.projects) : { value: { add: [], remove: [] }, problems: [] };
    if (resolved.problems.length > 0) throw new KilnError(resolved.problems);
    const implicit = resolved.value;
    projects.push({
      name: p.name,
      root: p.root,
      ...(p.packageJson?.name !== undefined && { packageName: p.packageJson.name }),
      rootInputs: rootInputsOf(p, ws),
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
    configDigest: configDigestOf(ws),
    ...(ws.pluginConfigs && { pluginConfigs: ws.pluginConfigs }),
    ...(ws.inferenceGaps && { inferenceGaps: ws.inferenceGaps }),
  };
}

/** What the projects' settings are made of (owners, tags, every target): any change to it comes with a file that rebuilds the state. */
function configDigestOf(ws: Workspace): string {
  const projects = [...ws.projects.values()].map((p) => [p.name, p.root, p.tags, p.configFiles, p.config]);
  return contentDigest(JSON.stringify([ws.nxJson, projects]));
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
