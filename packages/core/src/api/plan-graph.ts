/**
 * The workspace and its project edges for a plan (and for `select`): through the graph state that
 * `affected` keeps, or, outside git, read and scanned in full.
 */
import { affectedGraph, readWorkspaceOf } from '../graph-state/index.js';
import { resolveCommit, workingTreeChanges } from '../scm/index.js';
import { changesSinceHead, type PlanStart } from './plan-git.js';
import type { Workspace } from '../workspace/index.js';

/** The workspace, its project edges and each project's external packages. */
export interface WorkspaceGraph {
  readonly ws: Workspace;
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
  readonly external: ReadonlyMap<string, readonly string[]>;
}

/**
 * The workspace and its project edges. Through the saved graph state that `affected` keeps
 * (`.kiln/affected-state.json`), so a run does not rescan every source file for imports; a
 * repository without commits reads everything. `start`: git's answers already on their way.
 */
export async function workspaceAndGraph(root: string, cwd: string, start?: PlanStart): Promise<WorkspaceGraph> {
  const head = start ? (await start.git.snapshot.catch(() => undefined))?.head : await resolveCommit(root, 'HEAD');
  if (head !== undefined) {
    const changes = start ? await changesSinceHead(root, start.git, head) : await workingTreeChanges(root, head);
    // The workspace is read while a fresh clone's shared graph state is still on its way (it needs no state).
    const tracked = start?.git.index.then((i) => i.tracked);
    const workspace = tracked?.then((files) => readWorkspaceOf(root, files, changes));
    workspace?.catch(() => undefined);
    const saved = await start?.shared;
    const view = await affectedGraph(root, head, changes, { full: true, ...(saved && { saved }), ...(tracked && { tracked }), ...(workspace && { workspace }) });
    if (view.workspace) {
      const dependencies: Record<string, string[]> = {};
      for (const [name, deps] of view.dependencies) dependencies[name] = [...deps];
      return { ws: view.workspace, dependencies, external: view.external };
    }
  }
  // Outside git or before the first commit: read and scan everything (loaded only then).
  const [{ loadWorkspace }, { projectGraph }] = await Promise.all([import('./load-workspace.js'), import('./project-graph.js')]);
  const ws = await loadWorkspace(cwd);
  const graph = await projectGraph(ws);
  const dependencies: Record<string, string[]> = {};
  for (const [name, edges] of graph.dependencies) dependencies[name] = edges.map((e) => e.target);
  const external = new Map<string, string[]>();
  for (const [name, list] of graph.external)
    external.set(
      name,
      list.map((e) => e.package),
    );
  return { ws, dependencies, external };
}
