/** One installed instance of an external package, as a lockfile pins it. */
export interface LockedPackage {
  /** Unique within its lockfile: the npm install path (`node_modules/a/node_modules/b`) or the pnpm snapshot key. */
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** The integrity hash, or for git and tarball dependencies what stands in for it (commit, tarball URL). */
  readonly integrity: string | undefined;
  /** The names this instance depends on (dependencies, optionalDependencies, peerDependencies). */
  readonly dependencies: readonly string[];
  /**
   * pnpm's peer suffix (`(react@18.2.0)`): two instances of one package at one version that
   * resolve their peers differently are distinct instances, told apart by it.
   */
  readonly peers?: string;
}

/**
 * A parsed lockfile: every pinned package instance, and for each importer (a workspace package
 * directory, `''` for the root) the names it declares. How a name resolves from a directory is
 * `resolve()`'s business, since npm and pnpm differ.
 */
export interface Lockfile {
  readonly kind: 'npm' | 'pnpm' | 'yarn' | 'bun';
  readonly packages: ReadonlyMap<string, LockedPackage>;
  /** Importer directory (repo-relative, `''` for the root) → the external names it declares. */
  readonly importers: ReadonlyMap<string, readonly string[]>;
  /**
   * pnpm, yarn Berry and bun: importer directory → dependency name → package id, since they pin each
   * importer's resolution explicitly. Workspace links are left out (those are project-graph edges).
   */
  readonly importerResolutions?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** pnpm, yarn and bun: package id → dependency name → package id. */
  readonly edges?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** npm only: install paths that are links to workspace packages (`node_modules/@org/lib` → `libs/lib`). */
  readonly links?: ReadonlySet<string>;
}
