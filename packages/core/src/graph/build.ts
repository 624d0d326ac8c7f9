/**
 * Builds the project graph from the workspace and the imports found in its source files. Pure:
 * files are scanned by the caller (see `scanImports`) and handed in as data.
 */
import type { Diagnostic, ProjectName } from '../model/index.js';
import type { DependencyKind, Project, TsconfigPaths } from '../workspace/index.js';
import { findCycles } from './cycles.js';
import { resolveImplicitDependencies } from './implicit.js';
import { walkImportTables, type ImportTableData, type ResolvedImport } from './import-table.js';
import { ProjectIndex } from './project-index.js';
import { ImportResolver } from './resolve.js';
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
const types: readonly DependencyType[] = ['static', 'dynamic', 'implicit'];

/** The range a package.json declares for `name`, from its most important kind, as the graph records it. */
export function declaredRange(packageJson: { readonly dependencies: Readonly<Record<DependencyKind, Readonly<Record<string, string>>>> } | undefined, name: string): string | undefined {
  if (!packageJson) return undefined;
  for (let k = kindsByImportance.length - 1; k >= 0; k--) {
    const range = packageJson.dependencies[kindsByImportance[k]!][name];
    if (range !== undefined) return range;
  }
  return undefined;
}
const typeBit: Record<DependencyType, number> = { static: 1, dynamic: 2, implicit: 4 };

export function buildProjectGraph(input: GraphInput): { ok: true; value: ProjectGraph } | { ok: false; error: Diagnostic[] } {
  const builder = new ProjectGraphBuilder(input.projects, input.tsconfigPaths);
  const entries = input.imports instanceof Map ? input.imports.entries() : input.imports;
  for (const [file, found] of entries) builder.addFileImports(file, found);
  return builder.build();
}

/**
 * Builds the graph incrementally, so that a caller can feed each file's imports as it scans it
 * and keep none of them: `new ProjectGraphBuilder(projects)`, then `addFileImports` per file
 * (or `addImportTables` with a scan's compact tables), then `build()`.
 */
export class ProjectGraphBuilder {
  readonly locator: ProjectIndex<ProjectName>;
  readonly resolver: ImportResolver;
  private readonly rootProject: ProjectName | undefined;
  // source → target → bit set of types (1 static, 2 dynamic, 4 implicit)
  private readonly edges = new Map<ProjectName, Map<ProjectName, number>>();
  private readonly external = new Map<ProjectName, Map<string, { range?: string; via: Set<ExternalSource> }>>();

  constructor(
    readonly projects: ReadonlyMap<ProjectName, Project>,
    tsconfigPaths?: TsconfigPaths,
  ) {
    this.locator = new ProjectIndex(projects.values());
    this.resolver = new ImportResolver(projects.values(), this.locator, tsconfigPaths);
    this.rootProject = [...projects.values()].find((p) => p.root === '')?.name;
    for (const name of projects.keys()) {
      this.edges.set(name, new Map());
      this.external.set(name, new Map());
    }
    // package.json dependencies of every kind: a workspace package is a static edge whatever the range.
    for (const project of projects.values()) {
      const deps = project.packageJson?.dependencies;
      if (!deps) continue;
      for (const kind of kindsByImportance) {
        for (const [pkg, range] of Object.entries(deps[kind])) {
          const target = this.resolver.projectOfPackage(pkg);
          if (target !== undefined) this.addEdge(project.name, target, 'static');
          else this.addExternal(project.name, pkg, kind, range);
        }
      }
    }
  }

  private addEdge(source: ProjectName, target: ProjectName, type: DependencyType): void {
    if (source === target) return;
    const bySource = this.edges.get(source)!;
    bySource.set(target, (bySource.get(target) ?? 0) | typeBit[type]);
  }

  private addExternal(source: ProjectName, pkg: string, via: ExternalSource, range?: string): void {
    const bySource = this.external.get(source)!;
    let entry = bySource.get(pkg);
    if (entry === undefined) bySource.set(pkg, (entry = { via: new Set() }));
    entry.via.add(via);
    if (range !== undefined) entry.range = range;
  }

  /**
   * Adds the imports found in one source file (a repo path). As Nx: an import edge into the root
   * project counts only from the root project itself (every file would otherwise "belong" to it
   * through relative paths and config files).
   */
  addFileImports(file: string, found: FileImports): void {
    const source = this.locator.projectOf(file);
    if (source === undefined) return;
    for (const specifier of found.static) this.addImport(source, specifier, file, 'static');
    for (const specifier of found.dynamic) this.addImport(source, specifier, file, 'dynamic');
  }

  private addImport(source: ProjectName, specifier: string, file: string, type: 'static' | 'dynamic'): void {
    const r = this.resolver.resolve(specifier, file);
    if (r !== undefined) this.addResolved(source, r, type);
  }

  /** Adds every file's imports from a scan's compact tables (see `walkImportTables`); same edges as `addFileImports` per file. */
  addImportTables(tables: Iterable<ImportTableData>): void {
    const roots = [...this.projects.values()].map((p) => p.root);
    walkImportTables(tables, this.locator, this.resolver, roots, {
      import: (source, r, type) => this.addResolved(source, r, type),
    });
  }

  /** One resolved import of a file of `source`: an npm package, or an edge (into the root project only from the root itself). */
  private addResolved(source: ProjectName, r: ResolvedImport, type: 'static' | 'dynamic'): void {
    if ('external' in r) this.addExternal(source, r.external, 'import');
    else if (r.project !== this.rootProject || source === this.rootProject) this.addEdge(source, r.project, type);
  }

  /** Applies implicitDependencies (`!name` removes edges found so far) and returns the graph. */
  build(): { ok: true; value: ProjectGraph } | { ok: false; error: Diagnostic[] } {
    const { projects, edges, external } = this;
    const problems: Diagnostic[] = [];
    for (const project of projects.values()) {
      if (project.implicitDependencies.length === 0) continue;
      const { value, problems: found } = resolveImplicitDependencies(project, projects);
      problems.push(...found);
      for (const target of value.remove) edges.get(project.name)!.delete(target);
      for (const target of value.add) this.addEdge(project.name, target, 'implicit');
    }
    if (problems.length > 0) return { ok: false, error: problems };

    const dependencies = new Map<ProjectName, ProjectEdge[]>();
    const dependents = new Map<ProjectName, ProjectEdge[]>();
    for (const name of projects.keys()) dependents.set(name, []);
    for (const [source, targets] of edges) {
      const list: ProjectEdge[] = [];
      for (const target of [...targets.keys()].sort()) {
        const bits = targets.get(target)!;
        for (const type of types) if (bits & typeBit[type]) list.push({ source, target, type });
      }
      dependencies.set(source, list);
    }
    // Sources in name order, so each dependents list comes out sorted by source, then type.
    for (const name of [...projects.keys()].sort()) for (const e of dependencies.get(name)!) dependents.get(e.target)!.push(e);

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
