import { changedFiles, type FileChange } from './changes.js';
import { resolveCommit } from './git.js';
import { workingTreeChanges, type WorkingTreeScan } from './working-changes.js';

/** The work tree as a commit plus the changes on top of it (what a saved graph is kept against). */
export interface WorkTreeState {
  readonly anchor: string;
  readonly changes: FileChange[];
}

/**
 * What changed since `base`: up to `head` (`git diff`), or, without a head, up to the work tree
 * (uncommitted and untracked files too). Either way also the work tree as a commit plus changes,
 * undefined in a repository without commits. `base` null (git could not say): no changes, only
 * the work tree. `diff: false` skips the base-to-head diff (the caller has its changes already).
 */
export async function changesSinceBase(
  cwd: string,
  request: { readonly base: string | null; readonly head: string | null; readonly scan: WorkingTreeScan; readonly headCommit?: string; readonly diff?: boolean },
): Promise<{ changes: FileChange[]; workTree?: WorkTreeState }> {
  const { base, head, scan } = request;
  if (base !== null && head === null) {
    const workTree = { anchor: base, changes: await workingTreeChanges(cwd, base, scan) };
    return { changes: workTree.changes, workTree };
  }
  const current = request.headCommit ?? (await resolveCommit(cwd, 'HEAD'));
  const [worktree, between] = await Promise.all([
    current === undefined ? undefined : workingTreeChanges(cwd, current, scan),
    base !== null && head !== null && request.diff !== false ? changedFiles(cwd, base, head) : undefined,
  ]);
  return { changes: between ?? [], ...(current !== undefined && worktree !== undefined && { workTree: { anchor: current, changes: worktree } }) };
}
