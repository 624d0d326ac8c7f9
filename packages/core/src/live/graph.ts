/**
 * The workspace and its project graph in memory, as graph-state describes the work tree: commit
 * `anchor` plus dirty files, with per-project import counts. Loaded once through graph-state
 * (`affectedGraph`, the same state `kiln affected` keeps), then each batch's changed sources are
 * rescanned by graph-state's own `update` (old imports from the state or the anchor commit, new
 * ones from disk) and become dirty files of the in-memory state, so the next batch compares with
 * what they import now. Nothing is written back: the saved state still describes its own work
 * tree. Edge: it reads files and asks git (at load, and for a file's imports at the anchor).
 */
import { affectedGraph, type AffectedGraphView } from '../graph-state/index.js';
import { changedSinceState, dirtyImportsOf, update, type Graph } from '../graph-state/edges.js';
import { contentDigest, digestsOf, loadState, readText, sameDigests } from '../graph-state/store.js';
import type { State } from '../graph-state/types.js';
import { viewOf } from '../graph-state/view.js';
import { resolveCommit, workingTreeChanges } from '../scm/index.js';
import type { Workspace } from '../workspace/index.js';

export type LiveView = AffectedGraphView & { readonly workspace: Workspace };

export interface LiveGraph {
  view(): LiveView;
  /** Rescans the batch's sources; true when an import edge moved. */
  apply(paths: readonly string[]): Promise<boolean>;
}

/** Undefined when the graph cannot be kept in memory (no commit yet, no saved state to count from): the caller answers directly. */
export async function loadLiveGraph(root: string): Promise<LiveGraph | undefined> {
  const head = await resolveCommit(root, 'HEAD');
  if (head === undefined) return undefined;
  const worktree = await workingTreeChanges(root, head);
  const full = await affectedGraph(root, head, worktree, { full: true });
  const ws = full.workspace;
  if (ws === undefined) return undefined;
  const g: Graph = await import('../graph/index.js');
  // The saved state may describe an older work tree with the same graph (graph-state keeps it while no import moved): bring it to this one.
  let state: State | undefined = loadState(root);
  if (state === undefined) return undefined;
  const digests = digestsOf(root, worktree);
  if (state.anchor !== head || !sameDigests(state.dirty, digests)) {
    const since = await changedSinceState(root, state, head, digests);
    if (since === undefined) return undefined;
    state = { ...(await update(g, root, state, head, since)).state, anchor: head, dirty: digests, dirtyImports: dirtyImportsOf(g, root, digests) };
  }
  let view: LiveView = { ...viewOf(state, 'updated'), workspace: ws };
  return {
    view: () => view,
    async apply(paths) {
      const current = state!;
      const { state: next, importsChanged, scanned } = await update(g, root, current, current.anchor, paths);
      if (scanned.size === 0) return false;
      // The rescanned files are dirty now, with the imports just counted: the next change to them starts from these.
      const dirty = { ...next.dirty };
      const dirtyImports = { ...next.dirtyImports };
      for (const [file, imports] of scanned) {
        const text = imports === undefined ? undefined : readText(root, file);
        dirty[file] = text === undefined ? null : contentDigest(text);
        if (imports === undefined) delete dirtyImports[file];
        else dirtyImports[file] = imports;
      }
      state = { ...next, dirty, dirtyImports };
      if (importsChanged) view = { ...viewOf(state, 'updated'), workspace: ws };
      return importsChanged;
    },
  };
}
