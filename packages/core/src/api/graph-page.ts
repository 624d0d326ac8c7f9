/**
 * `kiln graph --file graph.html`'s data: the project graph with each project's owners and tags,
 * its cycles, optionally the affected projects (with the reason a person reads) and the task graph
 * of one target with each task's cache status. The page itself is drawn by the CLI.
 */
import { loadWorkspaceAndGraph } from '../scan/index.js';
import { affected } from './affected.js';
import { ownersOfProjects } from './project-owners.js';
import { planTasks } from './task-plan.js';

export interface GraphPageRequest {
  readonly cwd: string;
  /** The project the page opens focused on. */
  readonly focus?: string;
  /** Highlight the projects affected since the merge-base with `base` (the one base-ref rule). */
  readonly affected?: { readonly base?: string; readonly head?: string };
  /** Also the task graph of this target, with each task's cache status. */
  readonly target?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A task's cache status: `cached` (an entry for its current hash is in the local cache), `stale`
 * (its last cached run had another hash), `never` (no cached run on record) or `uncached` (the
 * target is not cacheable).
 */
export type TaskCacheStatus = 'cached' | 'stale' | 'never' | 'uncached';

export interface GraphPageData {
  readonly version: 1;
  readonly projects: readonly { readonly name: string; readonly root: string; readonly type: string; readonly tags: readonly string[]; readonly owners: readonly string[] }[];
  /** Nx's direction: `source` depends on `target`. */
  readonly edges: readonly { readonly source: string; readonly target: string; readonly type: string }[];
  readonly cycles: readonly (readonly string[])[];
  readonly focus?: string;
  /** Affected project → the chain a person reads (`kiln affected --explain`'s). */
  readonly affected?: { readonly base: string | null; readonly projects: Readonly<Record<string, string>> };
  readonly tasks?: {
    readonly target: string;
    readonly nodes: readonly { readonly id: string; readonly project: string; readonly target: string; readonly hash: string; readonly status: TaskCacheStatus }[];
    readonly edges: readonly { readonly source: string; readonly target: string }[];
  };
}

/** `loaded`: the workspace and graph when the caller has read them already. */
export async function graphPage(req: GraphPageRequest, loaded?: Awaited<ReturnType<typeof loadWorkspaceAndGraph>>): Promise<GraphPageData> {
  const { workspace, graph } = loaded ?? (await loadWorkspaceAndGraph(req.cwd));
  const owners = await ownersOfProjects(workspace);
  const projects = [...graph.projects.values()].map((p) => ({ name: p.name, root: p.root, type: p.type, tags: p.tags, owners: owners.get(p.name) ?? [] }));
  const edges = [...graph.dependencies.values()].flatMap((es) => es.map((e) => ({ source: e.source, target: e.target, type: e.type })));
  const affectedData = req.affected && (await affectedProjects(req.cwd, req.affected, req.env));
  const tasks = req.target === undefined ? undefined : await taskStatuses(req.cwd, req.target, req.env);
  return {
    version: 1,
    projects,
    edges,
    cycles: graph.cycles,
    ...(req.focus !== undefined && { focus: req.focus }),
    ...(affectedData && { affected: affectedData }),
    ...(tasks && { tasks }),
  };
}

async function affectedProjects(cwd: string, range: NonNullable<GraphPageRequest['affected']>, env: NodeJS.ProcessEnv | undefined): Promise<GraphPageData['affected']> {
  const result = await affected({ cwd, ...range, ...(env && { env }) });
  return { base: result.base, projects: Object.fromEntries(result.projects.map((p) => [p, result.chains[p] ?? ''])) };
}

async function taskStatuses(cwd: string, target: string, env: NodeJS.ProcessEnv | undefined): Promise<GraphPageData['tasks']> {
  const plan = await planTasks({ cwd, targets: [target], ...(env && { env }) });
  const nodes = await Promise.all(
    [...plan.tasks.values()].map(async (t) => ({ id: t.id as string, project: t.project.name, target: t.target, hash: t.hash as string, status: await cacheStatus(plan, t) })),
  );
  const edges = Object.entries(plan.taskGraph.dependencies).flatMap(([source, deps]) => deps.map((d) => ({ source, target: d as string })));
  return { target, nodes, edges };
}

async function cacheStatus(plan: Awaited<ReturnType<typeof planTasks>>, task: { id: string; hash: string; cacheable: boolean }): Promise<TaskCacheStatus> {
  if (!task.cacheable) return 'uncached';
  if ((await plan.cache.lookup(task.hash)).status === 'hit') return 'cached';
  return (await plan.cache.lastRun(task.id, { fingerprint: false })) ? 'stale' : 'never';
}
