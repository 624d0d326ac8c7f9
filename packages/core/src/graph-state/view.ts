/**
 * The graph view from a saved state (`viewOf`), its compact form saved beside the state
 * (`compactView`), and that form expanded again, lazily, by the next run (`expandView`).
 */
import { workspaceRootPatternsOf } from '../affected/root-inputs.js';
import type { ProjectGraph } from '../graph/index.js';
import { executorPackages } from '../workspace/executors.js';
import type { Project, Workspace } from '../workspace/index.js';
import type { AffectedGraphView, SavedView, State } from './types.js';

/** Bump to drop every saved view (it can change shape without the state changing). */
export const VIEW_VERSION = 4;

/** The `{workspaceRoot}/...` patterns a project's targets name (affected touches it when one changes). */
export function rootInputsOf(p: Project, ws: Workspace): string[] {
  return workspaceRootPatternsOf({ name: p.name, targets: p.targets as never, ...(p.namedInputs && { namedInputs: p.namedInputs as never }) }, ws.nxJson.namedInputs as never);
}

/** The view of a workspace read in full and its graph built the ordinary way (outside git: no state to keep). */
export function viewOfGraph(ws: Workspace, graph: ProjectGraph): AffectedGraphView {
  return {
    root: ws.root,
    nxJson: ws.nxJson,
    ...(ws.tsconfigPaths && { tsconfigFile: ws.tsconfigPaths.file }),
    projects: [...ws.projects.values()].map((p) => ({ name: p.name, root: p.root, rootInputs: rootInputsOf(p, ws) })),
    dependencies: new Map([...graph.dependencies].map(([name, edges]) => [name as string, [...new Set(edges.map((e) => e.target as string))]])),
    external: new Map(
      [...graph.external].map(([name, list]) => [name as string, [...new Set([...list.map((e) => e.package), ...executorPackages(ws.projects.get(name)?.targets ?? {})])]]),
    ),
    workspace: ws,
    source: 'built',
    ...(ws.pluginConfigs && { pluginConfigs: ws.pluginConfigs }),
    ...(ws.inferenceGaps && { inferenceGaps: ws.inferenceGaps }),
  };
}

/** The view of a saved state. */
export function viewOf(state: State, source: AffectedGraphView['source']): AffectedGraphView {
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
    configDigest: state.configDigest,
    ...(state.pluginConfigs && { pluginConfigs: state.pluginConfigs }),
    ...(state.inferenceGaps && { inferenceGaps: state.inferenceGaps }),
  };
}



export function compactView(state: State): SavedView {
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
    configDigest: state.configDigest,
    ...(state.pluginConfigs && { pluginConfigs: state.pluginConfigs }),
    ...(state.inferenceGaps && { inferenceGaps: state.inferenceGaps }),
  };
}

/**
 * The view from its compact form. A warm project-level run reads the reverse edges and the
 * root-input patterns, which come ready; the forward edges and external packages are built the
 * first time something asks for them.
 */
export function expandView(v: SavedView): (source: AffectedGraphView['source']) => AffectedGraphView {
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
    configDigest: v.configDigest,
    ...(v.pluginConfigs && { pluginConfigs: v.pluginConfigs }),
    ...(v.inferenceGaps && { inferenceGaps: v.inferenceGaps }),
  });
}
