/**
 * graph-state: the project graph as `affected` and `run` need it, kept between runs in `.kiln`
 * (`affected-state.json`, and the compact `affected-view.json` beside it) so a run after a
 * one-file change reads one small file and rescans only the changed sources. With no usable
 * state it reads the workspace and scans every source file (`scan/`), saving the result. Also
 * the workspace as it was at a commit (`workspaceAtRef`), the owners of each project kept
 * beside the graph (`savedOwners`), and states shared between machines by commit (`shared.ts`). Edge: it reads and writes `.kiln`, reads the work tree and
 * asks git.
 *
 * It leaves to others: what changed (`scm/`), what a change affects (`affected/`), the graph's
 * rules (`graph/`, which the state's edges must match: `state.test.ts` holds them together).
 */
export { affectedGraph, readWorkspaceOf, startColdBuild, type ColdBuild } from './state.js';
export { loadSavedView, type SavedGraphView } from './store.js';
export { viewOfGraph } from './view.js';
export { workspaceAtRef } from './at-ref.js';
export { savedOwners, type SavedOwners } from './owners-cache.js';
export type { AffectedGraphView } from './types.js';
export { adoptSharedState, exportState, folderStateStore, readSharedState, remoteStateStore, restoreSharedState, sharedStateKey, type StateRead, type StateStore, type StateWrite } from './shared.js';
