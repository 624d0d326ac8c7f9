/**
 * `affected`: the entry point, kept light on purpose. A warm run spends most of its wall time
 * waiting for `git status`, so this module starts it before it loads the rest of the operation
 * (`affected-run.ts`: base and head, the graph, the workspace-wide files); the two overlap.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Reason } from '../affected/types.js';
import { trace } from '../trace/index.js';
import { gitOrThrow } from '../scm/git.js';
import { baseRefFor } from '../scm/base.js';
import { startWorkingTree } from '../scm/working-changes.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import type { AffectedGraphView } from '../graph-state/index.js';

export { describeReason, explainChain } from '../affected/closure.js';
export type { Reason } from '../affected/types.js';

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
  /** With `target`: the affected tasks of that target. */
  readonly tasks?: AffectedTaskResult;
  /** With `owners`: each affected project's owners (empty: unowned). */
  readonly owners?: Readonly<Record<string, readonly string[]>>;
  /** Whether the project graph came from kiln's saved state (`reused`, `updated`) or was read in full (`built`). */
  readonly graphSource: AffectedGraphView['source'];
}

export interface AffectedTaskResult {
  readonly target: string;
  /** Affected `project:target` ids, sorted. */
  readonly tasks: readonly string[];
  readonly reasons: Readonly<Record<string, readonly Reason[]>>;
  readonly chains: Readonly<Record<string, string>>;
}

export async function affected(options: AffectedOptions): Promise<AffectedResult> {
  trace('affected start');
  const env = options.env ?? process.env;
  const root = requireWorkspaceRoot(options.cwd);
  const baseRef = await baseRefFor(root, options.base, env);
  // Every run inside git needs the work tree's changes (for the graph, if not for the answer).
  const scan = startWorkingTree(root, [options.head ?? 'HEAD', baseRef]);
  // No saved graph state (`affected-state.ts`): the graph will be built from every tracked source file, so list them now too.
  const listed = existsSync(join(root, '.kiln/affected-state.json')) ? undefined : gitOrThrow(root, ['ls-files', '-z', '--cached']);
  listed?.catch(() => undefined);
  const { runAffected } = await import('./affected-run.js');
  return runAffected(options, { root, baseRef, scan, ...(listed && { listed }) });
}
