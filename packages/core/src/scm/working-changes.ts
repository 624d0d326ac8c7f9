import { parseNameStatus, type FileChange } from './changes.js';
import { gitOrThrow, splitNul } from './git.js';

/**
 * What `changedFiles(cwd, base)` lists (committed, staged, unstaged and untracked changes since
 * `base`), with its two git processes run at once rather than one after the other: the work tree
 * against `base` (which stats every tracked file, on several threads) and the walk for untracked
 * files. The two are independent, so on a large work tree this halves the wait.
 */
export async function workingTreeChanges(cwd: string, base: string): Promise<FileChange[]> {
  const [diff, untracked] = await Promise.all([
    gitOrThrow(cwd, ['diff', '--name-status', '-z', '-M', '--relative', '--no-ext-diff', '--no-color', base, '--']),
    gitOrThrow(cwd, ['ls-files', '--others', '--exclude-standard', '-z']),
  ]);
  const changes = parseNameStatus(diff);
  for (const path of splitNul(untracked)) changes.push({ status: 'added', path });
  return changes;
}
