import { git, gitOrThrow, splitNul } from './git.js';

/** One changed path; a rename is one change with both paths, since both count. */
export type FileChange =
  | { readonly status: 'added' | 'modified' | 'deleted' | 'type-changed'; readonly path: string }
  | { readonly status: 'renamed' | 'copied'; readonly path: string; readonly from: string };

/**
 * Files changed between `base` and `head`, or, without `head`, between `base` and the working
 * tree (committed, staged and unstaged changes) plus untracked files that are not ignored.
 * Paths are relative to `cwd`; only paths below `cwd` are listed.
 */
export async function changedFiles(cwd: string, base: string, head?: string): Promise<FileChange[]> {
  const range = head === undefined ? [base] : [base, head];
  const diff = await gitOrThrow(cwd, ['diff', '--name-status', '-z', '-M', '--relative', '--no-ext-diff', '--no-color', ...range, '--']);
  const changes = parseNameStatus(diff);
  if (head === undefined) {
    const untracked = await gitOrThrow(cwd, ['ls-files', '--others', '--exclude-standard', '-z']);
    for (const path of splitNul(untracked)) changes.push({ status: 'added', path });
  }
  return changes;
}

/** Parses `git diff --name-status -z`: `S\0path\0` or, for renames and copies, `R100\0from\0to\0`. */
export function parseNameStatus(out: string): FileChange[] {
  const parts = splitNul(out);
  const changes: FileChange[] = [];
  for (let i = 0; i < parts.length; ) {
    const status = parts[i++]!;
    const kind = status[0];
    if (kind === 'R' || kind === 'C') {
      const from = parts[i++]!;
      const path = parts[i++]!;
      changes.push({ status: kind === 'R' ? 'renamed' : 'copied', path, from });
    } else {
      const path = parts[i++]!;
      changes.push({ status: kind === 'A' ? 'added' : kind === 'D' ? 'deleted' : kind === 'T' ? 'type-changed' : 'modified', path });
    }
  }
  return changes;
}

/** Tracked files (from the index) and untracked files that are not ignored, relative to `cwd`. */
export async function listFiles(cwd: string): Promise<string[]> {
  const out = await gitOrThrow(cwd, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  return [...new Set(splitNul(out))];
}

/**
 * The files in the index, each once, relative to `cwd`. `listed`: the output of
 * `git ls-files -z --cached` when the caller started it already.
 */
export async function trackedFiles(cwd: string, listed?: Promise<string>): Promise<string[]> {
  const tracked = splitNul(await (listed ?? gitOrThrow(cwd, ['ls-files', '-z', '--cached'])));
  // git lists the index sorted; a path in conflict appears once per stage.
  return tracked.filter((f, i) => i === 0 || f !== tracked[i - 1]);
}

/** The index's blob id for each tracked file (`git ls-files -s`), relative to `cwd`. */
export async function indexObjectIds(cwd: string): Promise<Map<string, string>> {
  const out = await gitOrThrow(cwd, ['ls-files', '-s', '-z']);
  const ids = new Map<string, string>();
  for (const line of splitNul(out)) {
    // `<mode> <oid> <stage>\t<path>`
    const tab = line.indexOf('\t');
    ids.set(line.slice(tab + 1), line.slice(7, tab - 2));
  }
  return ids;
}

/** Whether `cwd` is inside a git work tree at all (without throwing). */
export async function insideWorkTree(cwd: string): Promise<boolean> {
  const r = await git(cwd, ['rev-parse', '--is-inside-work-tree']);
  return r.code === 0 && r.stdout.trim() === 'true';
}
