/**
 * The data `affected/` works on, declared structurally so it can be fed from the workspace and
 * graph modules or from plain test data.
 */

/** A changed path; a rename or copy carries both paths, since both count. */
export interface ChangedFile {
  readonly path: string;
  readonly status: 'added' | 'modified' | 'deleted' | 'type-changed' | 'renamed' | 'copied';
  readonly from?: string;
}

export interface ProjectRef {
  readonly name: string;
  /** Repo-relative root; `''` for a project at the workspace root. */
  readonly root: string;
}

/** Why a project (or task) is affected. The first four kinds are the JSON contract; extra keys are additive. */
export type Reason =
  /** A changed file the project owns (or a file its inputs name). */
  | { readonly kind: 'file'; readonly file: string; readonly detail?: string }
  /** A project it depends on is affected. */
  | { readonly kind: 'dependency'; readonly on: string }
  /** A workspace-wide change kiln could not narrow, so everything is affected. */
  | { readonly kind: 'global'; readonly file: string; readonly detail: string }
  /** An external package it uses, directly or through other packages, changed in `file`. */
  | {
      readonly kind: 'lockfile';
      readonly package: string;
      readonly file: string;
      /** Packages between the project and the changed one, nearest first. */
      readonly via?: readonly string[];
      readonly before?: readonly string[];
      readonly after?: readonly string[];
      /** What changed when the versions do not show it (the same version with another integrity). */
      readonly detail?: string;
    };

/** A project marked directly (not through a dependency), with why. */
export interface Touch {
  readonly project: string;
  readonly reason: Reason;
}

/** What the closure needs of the project graph: nodes and, for each, the projects it depends on. */
export interface DependencyGraph {
  readonly projects: readonly ProjectRef[];
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  /** The reverse edges, when the caller has them already (`invertEdges(dependencies)`). */
  readonly dependents?: ReadonlyMap<string, readonly string[]>;
}
