/**
 * `git status` run the way that lets git answer from its untracked cache, shared by `affected`
 * (`working-changes.ts`) and the runner's work-tree snapshot (`files/snapshot.ts`), so both ask
 * in the same untracked mode and never make git throw away the cache the other one wrote.
 *
 * The cache is kept only in the `normal` untracked mode (git 2.39 ignores it with `-uall`) and
 * without a pathspec, in the index, so status runs as a person's own does: allowed to write the
 * index (`GIT_OPTIONAL_LOCKS=0` in the environment still forbids it), with
 * `core.untrackedCache=true` unless the repository's configuration says anything about it (then
 * that choice stands, `false` included). Untracked directories come back folded as `dir/`.
 */
import { git, type GitResult } from './git.js';

/**
 * `preloadIndex: false` keeps git's index refresh on one thread, for a caller that has its own
 * work for the other core meanwhile (output is the same either way).
 *
 * Starts `git status ARGS --untracked-files=MODE` at once on the usual guess (nothing configured
 * about the untracked cache or the untracked mode) while `git config` says whether the guess holds.
 * When it does not, status runs again as configured once the guess has finished (stopping git
 * midway can leave its index lock behind), which also undoes any cache the guess wrote.
 */
export function statusAsConfigured(cwd: string, args: readonly string[], options: { preloadIndex?: boolean } = {}): Promise<GitResult> {
  const config = git(cwd, ['config', '--get-regexp', '^(core\\.untrackedcache|status\\.showuntrackedfiles)$']);
  const extra = options.preloadIndex === false ? ['-c', 'core.preloadIndex=false'] : [];
  const guess = runStatus(cwd, [...extra, '-c', 'core.untrackedCache=true'], args, 'normal');
  const status = config.then((c) => {
    const settings = new Map<string, string>();
    for (const line of c.stdout.split('\n')) {
      if (line === '') continue;
      const space = line.indexOf(' ');
      // A key without a value is true; `key =` is an empty value (false).
      settings.set(space === -1 ? line : line.slice(0, space), space === -1 ? 'true' : line.slice(space + 1));
    }
    // The cache is kept only for the untracked mode the configuration implies, so ask in that mode.
    const mode = settings.get('status.showuntrackedfiles') === 'all' ? 'all' : 'normal';
    const cache = settings.get('core.untrackedcache');
    if (mode === 'normal' && (cache === undefined || /^(true|yes|on|1)$/i.test(cache))) return guess;
    return guess.then(() => runStatus(cwd, cache === undefined ? [...extra, '-c', 'core.untrackedCache=true'] : extra, args, mode));
  });
  // Whoever starts a status may end up not reading it (an error first): never an unhandled rejection.
  status.catch(() => undefined);
  guess.catch(() => undefined);
  return status;
}

function runStatus(cwd: string, config: readonly string[], args: readonly string[], mode: 'normal' | 'all'): Promise<GitResult> {
  return git(cwd, [...config, 'status', ...args, `--untracked-files=${mode}`], { optionalLocks: true });
}
