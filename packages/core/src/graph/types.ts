import type { ProjectName } from '../model/index.js';
import type { DependencyKind, Project } from '../workspace/index.js';

/** As Nx types edges: `static` (package.json dependency or import), `dynamic` (`import()`), `implicit` (implicitDependencies). */
export type DependencyType = 'static' | 'dynamic' | 'implicit';

/** `source` depends on `target`. */
export interface ProjectEdge {
  readonly source: ProjectName;
  readonly target: ProjectName;
  readonly type: DependencyType;
}

/** Where a project's use of an npm package was seen. */
export type ExternalSource = DependencyKind | 'import';

/** An npm package (not in the workspace) a project uses: declared in its package.json and/or imported. */
export interface ExternalDependency {
  readonly package: string;
  /** The declared range, from the most important kind (dependencies > devDependencies > peer > optional). */
  readonly range?: string;
  /** Sorted. */
  readonly via: readonly ExternalSource[];
}

/**
 * The project graph. Every project has an entry in `dependencies`, `dependents` and `external`
 * (possibly empty). Edges are unique per (source, target, type), never to the source itself,
 * and sorted by target then type. Cycles are allowed and listed.
 */
export interface ProjectGraph {
  readonly projects: ReadonlyMap<ProjectName, Project>;
  readonly dependencies: ReadonlyMap<ProjectName, readonly ProjectEdge[]>;
  /** Reverse edges: for each project, the edges that point at it (sorted by source then type). */
  readonly dependents: ReadonlyMap<ProjectName, readonly ProjectEdge[]>;
  /** External npm packages per project, sorted by package name. */
  readonly external: ReadonlyMap<ProjectName, readonly ExternalDependency[]>;
  /** Each cycle as `[a, b, c]` (a → b → c → a); see `findCycles`. */
  readonly cycles: readonly (readonly ProjectName[])[];
}
