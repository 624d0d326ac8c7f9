/**
 * Names for shell completion (`kiln __complete`): project names from the graph state the last
 * command saved in `.kiln` when there is one (no workspace read, no engine); targets and tasks,
 * which that state does not hold, from the workspace. Never throws: a completion offers nothing.
 */
import { loadSavedView } from '../graph-state/store.js';
import { findWorkspaceRoot } from '../workspace/find-root.js';

export type CompletionKind = 'projects' | 'targets' | 'tasks' | 'tags';

export async function completionNames(cwd: string, kind: CompletionKind): Promise<string[]> {
  try {
    const root = findWorkspaceRoot(cwd);
    if (root === undefined) return [];
    if (kind === 'projects') {
      const saved = loadSavedView(root).view;
      if (saved) return [...saved.names].sort();
    }
    const { loadWorkspace } = await import('./load-workspace.js');
    const ws = await loadWorkspace(cwd);
    const projects = [...ws.projects.values()];
    const names =
      kind === 'projects'
        ? projects.map((p) => p.name)
        : kind === 'targets'
          ? projects.flatMap((p) => Object.keys(p.targets))
          : kind === 'tags'
            ? projects.flatMap((p) => (p.tags ?? []).map((t) => `tag:${t}`))
            : projects.flatMap((p) => Object.keys(p.targets).map((t) => `${p.name}:${t}`));
    return [...new Set(names)].sort();
  } catch {
    return [];
  }
}
