/**
 * What a plan asks of git, each fact asked once per run and handed on: the work tree's snapshot
 * (`files/snapshot.ts`: HEAD and one `git status`, usually started by the run manifest's check)
 * and the index (`files/digests.ts`: blob ids and the tracked paths). The changes since HEAD that
 * the graph needs are the snapshot's own status output read again, not a second `git status`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCache } from '../cache/index.js';
import { listIndex, workTreeSnapshot, type IndexListing, type WorkTreeSnapshot } from '../files/index.js';
import type { SavedGraphView } from '../graph-state/index.js';
import type { PendingSnapshot } from '../run-manifest/index.js';
import { repoRoot, workingTreeChanges, type FileChange } from '../scm/index.js';
import { ignoreKilnDirectory } from '../tasks/index.js';

export interface PlanGit {
  readonly snapshot: Promise<WorkTreeSnapshot>;
  readonly index: Promise<IndexListing>;
  /**
   * Settles once kiln may write into `.kiln`: a snapshot started while there was no `.kiln` at all
   * is used only if git never saw the folder half made (without its `.gitignore`), so the folder
   * is made once git has answered.
   */
  readonly writable: Promise<void>;
}

/** What a run starts before planning: git, and, in a fresh clone, the shared graph state being fetched and the cache restoring its run bundle ahead. */
export interface PlanStart {
  readonly git: PlanGit;
  readonly shared?: Promise<SavedGraphView | undefined> | undefined;
  readonly cache?: Promise<LocalCache | undefined> | undefined;
}

/** Starts asking git for the plan of the workspace at `root`; `pending`: the snapshot the run manifest's check began, if any. */
export function startPlanGit(root: string, pending?: PendingSnapshot): PlanGit {
  const given = pending?.root === root ? pending.promise : undefined;
  let snapshot: Promise<WorkTreeSnapshot>;
  let writable: Promise<void> = Promise.resolve();
  if (existsSync(join(root, '.kiln', '.gitignore'))) snapshot = given ?? workTreeSnapshot(root);
  else if (given !== undefined && !existsSync(join(root, '.kiln'))) {
    snapshot = given;
    const settled = given.then(
      () => undefined,
      () => undefined,
    );
    writable = settled.then(() => void ignoreKilnDirectory(root));
  } else {
    // A snapshot taken before `.kiln/.gitignore` existed may list kiln's own files as untracked: not usable.
    ignoreKilnDirectory(root);
    snapshot = workTreeSnapshot(root);
  }
  const index = listIndex(root);
  // Whoever starts these may end up not reading them (an error first): never an unhandled rejection.
  snapshot.catch(() => undefined);
  index.catch(() => undefined);
  return { snapshot, index, writable };
}

/**
 * The work tree's changes since HEAD (`head`), from the snapshot's status. Its status leaves
 * submodules out, so a workspace holding any asks git as `affected` does.
 */
export async function changesSinceHead(root: string, git: PlanGit, head: string): Promise<FileChange[]> {
  const [taken, index] = await Promise.all([git.snapshot, git.index]);
  const top = index.gitlinks ? undefined : taken.prefix === '' ? root : await repoRoot(root);
  if (top === undefined) return workingTreeChanges(root, head);
  const place = { top, prefix: taken.prefix, head: taken.head, commits: [] };
  return workingTreeChanges(root, head, { cwd: root, status: Promise.resolve({ code: 0, stdout: taken.status, stderr: '' }), place: Promise.resolve(place) });
}
