/** The options and the answer of `affected`, and what its entry point hands the operation (types only: both files use them). */
import type { Reason } from '../affected/types.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { TargetTasks } from '../affected/tasks.js';
import type { AffectedGraphView, SavedGraphView } from '../graph-state/index.js';
import type { WorkingTreeScan } from '../scm/index.js';

export interface AffectedOptions {
  readonly cwd: string;
  /** Base ref; else `KILN_BASE`, else nx.json `defaultBase` (or `affected.defaultBase`), else `main` (scm's `baseRefFor`). Resolved to the merge-base with head. */
  readonly base?: string;
  /** Head ref; without it the working tree counts (uncommitted and untracked files too). */
  readonly head?: string;
  /** Changed files given directly (workspace-relative), instead of asking git. */
  readonly files?: readonly string[];
  /** When git cannot answer (no repository, unknown base, shallow clone): everything is affected, with a warning. */
  readonly failOpen?: boolean;
  /** With a target: also the affected tasks of that target, judged by each task's resolved inputs. */
  readonly target?: string;
  /** Also the owners (CODEOWNERS, or the generated ownership) of each affected project. */
  readonly owners?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface AffectedResult {
  /** The merge-base commit compared against (null with --files outside git, or when failing open). */
  readonly base: string | null;
  /** The head commit, or null for the working tree. */
  readonly head: string | null;
  readonly projects: readonly string[];
  readonly reasons: Readonly<Record<string, readonly Reason[]>>;
  /** For each affected project, the chain a person reads. */
  readonly chains: Readonly<Record<string, string>>;
  readonly changedFiles: readonly string[];
  readonly warnings: readonly string[];
  /** The warnings that concern a file (an unreadable lockfile), located, for --json. */
  readonly diagnostics: readonly Diagnostic[];
  /** With `target`: the affected tasks of that target. */
  readonly tasks?: AffectedTaskResult;
  /** With `owners`: each affected project's owners (empty: unowned). */
  readonly owners?: Readonly<Record<string, readonly string[]>>;
  /** Whether the project graph came from kiln's saved state (`reused`, `updated`) or was read in full (`built`). */
  readonly graphSource: AffectedGraphView['source'];
}

/** The affected tasks of one target: `tasks` are `project:target` ids, sorted, each with its reasons and chain. */
export type AffectedTaskResult = Omit<TargetTasks, 'problems'>;

/** What the entry point (`affected.ts`) found out before it loads the operation (`affected-run.ts`). */
export interface AffectedStart {
  readonly root: string;
  /** The base ref as chosen (scm's `baseRefFor`). */
  readonly baseRef: string;
  /** `git status` and `git rev-parse` for [head ?? HEAD, baseRef], already running. */
  readonly scan: WorkingTreeScan;
  /** `git ls-files -z --cached`, already running when there was no saved state. */
  readonly listed?: Promise<string>;
  /** The saved state a fresh clone just made its own from a shared one, in memory (not read back from `.kiln`). */
  readonly saved?: SavedGraphView;
}
