/** Builds the ReleaseContext that release, artifact and promote work on, from the workspace and its project graph. */
import type { ProjectGraph } from '../graph/index.js';
import type { Workspace } from '../workspace/index.js';
import { loadWorkspace } from './load-workspace.js';
import { projectGraph } from './project-graph.js';
import type { ReleaseContext } from './release-context.js';

export async function loadReleaseContext(cwd: string): Promise<ReleaseContext> {
  const ws = await loadWorkspace(cwd);
  return toReleaseContext(ws, await projectGraph(ws));
}

export function toReleaseContext(ws: Workspace, graph: ProjectGraph): ReleaseContext {
  return {
    root: ws.root,
    nxJson: ws.nxJson as unknown as Record<string, unknown>,
    projects: [...ws.projects.values()]
      .map((p) => ({
        name: p.name,
        root: p.root,
        tags: p.tags,
        ...(p.projectType && { projectType: p.projectType }),
        type: p.type,
        dependencies: [...new Set((graph.dependencies.get(p.name) ?? []).map((e) => e.target as string))].sort(),
        targets: Object.fromEntries(Object.entries(p.targets).map(([t, c]) => [t, { ...(c.outputs && { outputs: c.outputs }) }])),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}
