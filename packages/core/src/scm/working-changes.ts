import { parseNameStatus, type FileChange } from './changes.js';
import { gitOrThrow, splitNul } from './git.js';

/**
 * What `changedFiles(cwd, base)` lists (committed, staged, unstaged and untracked changes since
 * `base`), asked of git the cheap way, three processes at once: the index against `base`
 * (`diff --cached`, no work-tree scan, renames detected), the work tree against the index
 * (`diff`, which stats files on several threads), and the untracked files (`ls-files --others`).
 * A file staged and then reverted in the work tree still counts (a harmless over-approximation).
 */
export async function workingTreeChanges(cwd: string, base: string): Promise<FileChange[]> {
  const common = ['--name-status', '-z', '--relative', '--no-ext-diff', '--no-color'];
  const [cached, unstaged, untracked] = await Promise.all([
    gitOrThrow(cwd, ['diff', '--cached', '-M', ...common, base, '--']),
    gitOrThrow(cwd, ['diff', '--no-renames', ...common, '--']),
    gitOrThrow(cwd, ['ls-files', '-z', '--others', '--exclude-standard']),
  ]);
  const changes = parseNameStatus(cached);
  const seen = new Set<string>();
  for (const c of changes) seen.add(c.path);
  for (const c of parseNameStatus(unstaged)) {
    if (seen.has(c.path)) continue;
    seen.add(c.path);
    changes.push(c);
  }
  for (const path of splitNul(untracked)) {
    if (seen.has(path)) continue;
    seen.add(path);
    changes.push({ status: 'added', path });
  }
  return changes;
}
