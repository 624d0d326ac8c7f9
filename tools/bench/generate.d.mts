/** Types for generate.mjs, so TypeScript tests (e.g. agreement tests against nx) can use it. */
export interface PlannedProject {
  /** Package name, e.g. `@bench/p0042`; Nx and turbo use it as the project name. */
  readonly name: string;
  /** Repository-relative directory, e.g. `packages/p0042`. */
  readonly dir: string;
  /** 0 for leaves; a project depends on projects of lower layers only. */
  readonly layer: number;
  /** Workspace dependencies (package names), sorted; each is also imported in a source file. */
  readonly deps: readonly string[];
  /** External npm packages it depends on (in the lockfile, not installed). */
  readonly externals: readonly string[];
  /** File names under `src/`, `index.ts` first. */
  readonly sources: readonly string[];
}

export interface WorkspaceOptions {
  readonly projects: number;
  /** Inclusive range of source files per project; default [20, 40]. */
  readonly filesPerProject?: readonly [number, number];
  readonly seed?: number;
  readonly npmVersion?: string;
  readonly codeownersLines?: number;
}

export interface WorkspacePlan {
  readonly files: Map<string, string>;
  readonly projects: readonly PlannedProject[];
  readonly layers: number;
  /** A source file of a mid-layer project, for one-file-change scenarios. */
  readonly changeTarget: { readonly project: string; readonly file: string };
  /** A source file of a project just below the top with few dependents, for incremental builds. */
  readonly editTarget: { readonly project: string; readonly file: string };
}

export const SCOPE: string;
export const kilnRepoRoot: string;
export const gitEnv: Record<string, string>;
export function prng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(list: readonly T[]): T };
export function planWorkspace(options: WorkspaceOptions): WorkspacePlan;
export function installedNpmVersion(): string;
/**
 * Writes the planned workspace to `dir`, links node_modules (workspace packages; nx and turbo
 * from kiln's node_modules unless `linkTools: false`) and commits it on branch `main` unless `git: false`.
 */
export function generateWorkspace(
  options: WorkspaceOptions & { readonly dir: string; readonly git?: boolean; readonly linkTools?: boolean },
): Omit<WorkspacePlan, 'files'> & { readonly dir: string; readonly fileCount: number };
