/**
 * Builds the project graph from the workspace and the imports found in its source files. Pure:
 * files are scanned by the caller (see `scanImports`) and handed in as data.
 */
import type { Diagnostic, ProjectName } from '../model/index.js';
import type { DependencyKind, Project, TsconfigPaths } from '../workspace/index.js';
import { findCycles } from './cycles.js';
import { resolveImplicitDependencies } from './implicit.js';
import { ImportResolver, ProjectLocator } from './resolve.js';
import type { FileImports } from './scan.js';
import type { DependencyType, ExternalDependency, ExternalSource, ProjectEdge, ProjectGraph } from './types.js';

export interface GraphInput {
  readonly projects: ReadonlyMap<ProjectName, Project>;
  readonly tsconfigPaths?: TsconfigPaths;
  /** Imports per source file (repo path); files outside every project are ignored. */
  readonly imports: ReadonlyMap<string, FileImports> | Iterable<readonly [string, FileImports]>;
}

/** Least to most important: a package listed twice keeps the range of the more important kind. */
const kindsByImportance: readonly DependencyKind[] = ['optionalDependencies', 'peerDependencies', 'devDependencies', 'dependencies'];
const typeOrder: Record<DependencyType, number> = { static: 0, dynamic: 1, implicit: 2 };

export function buildProjectGraph(input: GraphInput): { ok: true; value: ProjectGraph } | { ok: false; error: Diagnostic[] } {
  const { projects } = input;
  const locator = new ProjectLocator(projects.values());
  const resolver = new ImportResolver(projects.values(), locator, input.tsconfigPaths);
  const rootProject = [...projects.values()].find((p) => p.root === '')?.name;

  // source → target → set of types
  const edges = new Map<ProjectName, Map<ProjectName, Set<DependencyType>>>();
  const external = new Map<ProjectName, Map<string, { range?: string; via: Set<ExternalSource> }>>();
  for (const name of projects.keys()) {
    edges.set(name, new Map());
    external.set(name, new Map());
  }
  const addEdge = (source: ProjectName, target: ProjectName, type: DependencyType): void => {
    if (source === target) return;
    const bySource = edges.get(source)!;
    let types = bySource.get(target);
    if (types === undefined) bySource.set(target, (types = new Set()));
    types.add(type);
  };
  const addExternal = (source: ProjectName, pkg: string, via: ExternalSource, range?: string): void => {
    const bySource = external.get(source)!;
    let entry = bySource.get(pkg);
    if (entry === undefined) bySource.set(pkg, (entry = { via: new Set() }));
    entry.via.add(via);
    if (range !== undefined) entry.range = range;
  };

  // package.json dependencies of every kind: a workspace package is a static edge whatever the range.
  for (const project of projects.values()) {
    const deps = project.packageJson?.dependencies;
    if (!deps) continue;
    for (const kind of kindsByImportance) {
      for (const [pkg, range] of Object.entries(deps[kind])) {
        const target = resolver.projectOfPackage(pkg);
        if (target !== undefined) addEdge(project.name, target, 'static');
        else addExternal(project.name, pkg, kind, range);
      }
    }
  }

  // Source imports. As Nx: an import edge into the root project counts only from the root project
  // itself (every file would otherwise "belong" to it through relative paths and config files).
  const entries = input.imports instanceof Map ? input.imports.entries() : input.imports;
  for (const [file, found] of entries) {
    const source = locator.projectOf(file);
    if (source === undefined) continue;
    for (const [list, type] of [
      [found.static, 'static'],
      [found.dynamic, 'dynamic'],
    ] as const) {
      for (const specifier of list) {
        const r = resolver.resolve(specifier, file);
        if (r === undefined) continue;
        if ('external' in r) addExternal(source, r.external, 'import');
        else if (r.project !== rootProject || source === rootProject) addEdge(source, r.project, type);
      }
    }
  }

  // implicitDependencies last: `!name` removes edges found above.
  const problems: Diagnostic[] = [];
  for (const project of projects.values()) {
    if (project.implicitDependencies.length === 0) continue;
    const { value, problems: found } = resolveImplicitDependencies(project, projects);
    problems.push(...found);
    for (const target of value.remove) edges.get(project.name)!.delete(target);
    for (const target of value.add) addEdge(project.name, target, 'implicit');
  }
  if (problems.length > 0) return { ok: false, error: problems };

  const dependencies = new Map<ProjectName, ProjectEdge[]>();
  const dependents = new Map<ProjectName, ProjectEdge[]>();
  for (const name of projects.keys()) dependents.set(name, []);
  for (const [source, targets] of edges) {
    const list: ProjectEdge[] = [];
    for (const target of [...targets.keys()].sort()) {
      for (const type of [...targets.get(target)!].sort((a, b) => typeOrder[a] - typeOrder[b])) list.push({ source, target, type });
    }
    dependencies.set(source, list);
    for (const e of list) dependents.get(e.target)!.push(e);
  }
  for (const list of dependents.values()) list.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : typeOrder[a.type] - typeOrder[b.type]));

  const externalOut = new Map<ProjectName, ExternalDependency[]>();
  for (const [name, pkgs] of external) {
    externalOut.set(
      name,
      [...pkgs.keys()].sort().map((pkg) => {
        const e = pkgs.get(pkg)!;
        return { package: pkg, ...(e.range !== undefined && { range: e.range }), via: [...e.via].sort() };
      }),
    );
  }

  const cycles = findCycles(projects.keys(), (n) => edges.get(n as ProjectName)!.keys()) as ProjectName[][];
  return { ok: true, value: { projects, dependencies, dependents, external: externalOut, cycles } };
}

/** The distinct projects `name` depends on directly. */
export function dependenciesOf(graph: ProjectGraph, name: ProjectName): ProjectName[] {
  return [...new Set((graph.dependencies.get(name) ?? []).map((e) => e.target))];
}

/** The distinct projects that depend on `name` directly. */
export function dependentsOf(graph: ProjectGraph, name: ProjectName): ProjectName[] {
  return [...new Set((graph.dependents.get(name) ?? []).map((e) => e.source))];
}

/** Every project that depends on any of `names`, directly or not, with the project it was reached from (for explanations). */
export function transitiveDependents(graph: ProjectGraph, names: Iterable<ProjectName>): Map<ProjectName, ProjectName> {
  const reachedFrom = new Map<ProjectName, ProjectName>();
  const queue = [...names].sort();
  const seen = new Set(queue);
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!;
    for (const dependent of dependentsOf(graph, at)) {
      if (seen.has(dependent)) continue;
      seen.add(dependent);
      reachedFrom.set(dependent, at);
      queue.push(dependent);
    }
  }
  return reachedFrom;
}
