/** What selection reads (plain data from the workspace, the graph and git) and what it answers. */

/** A project as selection sees it. */
export interface SelectableProject {
  readonly name: string;
  /** Workspace-relative, `/`-separated (`''` for the root project). */
  readonly root: string;
  readonly tags: readonly string[];
}

/** The patterns a command line gave: `-p`/`--projects` (Nx), `--exclude` (Nx), `--filter` (turbo). */
export interface SelectionRequest {
  readonly projects?: readonly string[];
  readonly exclude?: readonly string[];
  readonly filter?: readonly string[];
}

/** A `[REF]` (or `[BASE...HEAD]`) filter asks for the projects changed between these refs. */
export interface ChangeRange {
  readonly base: string;
  /** Undefined: the working tree. */
  readonly head?: string;
}

export interface SelectionInput {
  readonly projects: readonly SelectableProject[];
  /** Direct dependencies (project → projects it depends on); needed by `name...` and `...name`. */
  readonly dependencies?: ReadonlyMap<string, readonly string[]>;
  /** Projects changed in each range a filter named, keyed by `rangeKey`. */
  readonly changed?: ReadonlyMap<string, ReadonlySet<string>>;
}

export type SelectionProblem =
  /** A plain name that matches no project: an error, with the nearest name. */
  | { readonly kind: 'unknown-project'; readonly pattern: string; readonly message: string }
  /** A pattern (glob, tag, directory, filter) that matches nothing: a warning, as Nx gives. */
  | { readonly kind: 'no-match'; readonly pattern: string; readonly message: string }
  /** A filter that cannot be read. */
  | { readonly kind: 'invalid-filter'; readonly pattern: string; readonly message: string };

export interface SelectionResult {
  /** Sorted. */
  readonly projects: readonly string[];
  readonly errors: readonly SelectionProblem[];
  readonly warnings: readonly SelectionProblem[];
}
