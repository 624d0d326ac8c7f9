/**
 * `git status` run as a person's own runs, shared by `affected` (`working-changes.ts`) and the
 * runner's work-tree snapshot (`files/snapshot.ts`): in the untracked mode the configuration
 * implies, allowed to write the index (`GIT_OPTIONAL_LOCKS=0` in the environment still forbids
 * it), and without a pathspec at the top of the repository (git keeps its untracked cache only
 * then). Untracked directories come back folded as `dir/`.
 *
 * git's untracked cache is used only as the repository configures it (`core.untrackedCache`),
 * never turned on by kiln: git 2.39 as Debian builds it compares a directory's mtime to the second,
 * so a file added or deleted in the second the cache read its directory goes unseen once any later
 * command rewrites the index, and status then lists deleted files and leaves out new ones.
 * Asking in the configured mode leaves a cache the repository turned on to its own mode.
 */
import { git, type GitResult } from './git.js';

/**
 * `preloadIndex: false` keeps git's index refresh on one thread, for a caller that has its own
 * work for the other core meanwhile (output is the same either way).
 *
 * Starts `git status ARGS --untracked-files=normal` at once on the usual guess (nothing configured
 * about the untracked mode) while `git config` says whether the guess holds. When it does not,
 * status runs again in the `all` mode once the guess has finished (stopping git midway can leave
 * its index lock behind).
 */
export function statusAsConfigured(cwd: string, args: readonly string[], options: { preloadIndex?: boolean } = {}): Promise<GitResult> {
  const extra = options.preloadIndex === false ? ['-c', 'core.preloadIndex=false'] : [];
  // The status first: it is the long one, and each spawn holds this thread for several milliseconds.
  const guess = runStatus(cwd, extra, args, 'normal');
  const config = git(cwd, ['config', '--get', 'status.showUntrackedFiles']);
  const status = config.then((c) => (c.stdout.trim() === 'all' ? guess.then(() => runStatus(cwd, extra, args, 'all')) : guess));
  // Whoever starts a status may end up not reading it (an error first): never an unhandled rejection.
  status.catch(() => undefined);
  guess.catch(() => undefined);
  return status;
}

function runStatus(cwd: string, config: readonly string[], args: readonly string[], mode: 'normal' | 'all'): Promise<GitResult> {
  return git(cwd, [...config, 'status', ...args, `--untracked-files=${mode}`], { optionalLocks: true });
}
