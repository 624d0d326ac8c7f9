/**
 * Loads what release, artifact and promote work on: the ReleaseContext (from the workspace and
 * its project graph) and its release settings, and looks projects up in it; problems are thrown
 * as KilnErrors here, at the edge. The context and its lookups are release/context.ts's.
 */
import type { ProjectGraph } from '../graph/index.js';
import { KilnError } from '../model/index.js';
import { findProjects, resolveReleaseConfig, type KilnReleaseConfig, type ReleaseContext, type ReleaseProjectInfo } from '../release/index.js';
import type { Workspace } from '../workspace/index.js';
import { loadWorkspace } from './load-workspace.js';
import { projectGraph } from './project-graph.js';

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
        targets: Object.fromEntries(
          Object.entries(p.targets).map(([t, c]) => [
            t,
            { ...(c.outputs && { outputs: c.outputs }), ...(c.executor && { executor: c.executor }), ...(c.options && { options: c.options }) },
          ]),
        ),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}

export function releaseConfig(ctx: ReleaseContext): KilnReleaseConfig {
  const { config, errors } = resolveReleaseConfig(ctx.nxJson, ctx.projects);
  if (errors.length > 0) throw new KilnError(errors);
  return config;
}

/** Looks projects up by name, failing with the nearest valid name. */
export function requireProjects(ctx: ReleaseContext, names: readonly string[], allowed?: readonly string[], what = 'project'): ReleaseProjectInfo[] {
  const found = findProjects(ctx, names, allowed, what);
  if (!found.ok) throw new KilnError(found.error);
  return found.value;
}
