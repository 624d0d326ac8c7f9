/**
 * Shared by `run`, `hash` and `why-miss`: reads the workspace, its project graph and its files,
 * builds the task graph, and hashes every task (dependencies first) with `hash/`, the lockfile and
 * `{runtime}` outputs gathered by `tasks/`' edge. Not part of the public api.
 */
import { join } from 'node:path';
import { openLocalCache, type LocalCache } from '../cache/index.js';
import { readWorkspaceFiles, StatCache, workspaceFilesWithoutGit, type WorkspaceFiles } from '../files/index.js';
import { hashTasks, lockfileVersions, resolveTaskHashInputs, type Fingerprint, type TaskToHash } from '../hash/index.js';
import { KilnError, type Hash, type TaskId } from '../model/index.js';
import type { ManifestRequest, PendingSnapshot } from '../run-manifest/index.js';
import { insideWorkTree } from '../scm/index.js';
import { startPlanGit, type PlanStart } from './plan-git.js';
import { workspaceAndGraph } from './plan-graph.js';
import { createTaskGraph, readLockfile, runtimeOutputs, topologicalOrder, type TaskGraph } from '../tasks/index.js';
import { tracer } from '../trace/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import { nxVisibleFiles } from '../workspace/read.js';
import type { KilnConfig, Project, TargetConfiguration, Workspace } from '../workspace/index.js';
import type { WatchSession } from '../live/index.js';

export interface PlannedTask {
  readonly id: TaskId;
  readonly project: Project;
  readonly target: string;
  readonly config: TargetConfiguration;
  readonly hash: Hash;
  readonly fingerprint: Fingerprint;
  readonly configuration?: string;
  /** Options of the chosen configuration, laid over `config.options` when the task runs. */
  readonly configurationOptions?: Readonly<Record<string, unknown>>;
  /** Extra arguments forwarded to the command (requested tasks only). */
  readonly args?: readonly string[];
  /** `cache: true` in the target (or its targetDefaults), as Nx requires. */
  readonly cacheable: boolean;
}

export interface TaskPlan extends WorkspaceRead {
  readonly taskGraph: TaskGraph;
  readonly tasks: ReadonlyMap<TaskId, PlannedTask>;
  readonly cache: LocalCache;
}

/** A request (the targets, projects, configuration and extra arguments for the requested tasks' commands, as the run manifest keys it) and how to read it. */
export interface PlanRequest extends ManifestRequest {
  readonly env?: NodeJS.ProcessEnv;
  /** A snapshot of the work tree taken before this request read anything (by the run manifest's check), to use instead of a new one. */
  readonly snapshot?: PendingSnapshot;
}

/** What a plan is made from, read once: the workspace, its project edges and external packages, its files. */
export interface WorkspaceRead {
  readonly ws: Workspace;
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
  readonly external: ReadonlyMap<string, readonly string[]>;
  /** The runner's settings under `"kiln"` in nx.json: cache folder, size limit, restore mode. */
  readonly config: Pick<KilnConfig, 'cacheDirectory' | 'cacheMaxSize' | 'restoreMode'>;
  readonly stats: StatCache;
  readonly files: WorkspaceFiles;
  /** A watch session's memory of earlier plans (hashes, restored entries): only what changed since is worked out again. */
  readonly session?: WatchSession;
}

/** Reads what a plan is made from; `start`: what the run started already (git, the shared graph state). */
export async function readForPlan(req: Pick<PlanRequest, 'cwd' | 'snapshot'>, start?: PlanStart): Promise<WorkspaceRead> {
  const trace = tracer();
  const root = requireWorkspaceRoot(req.cwd);
  const { git } = (start ??= { git: startPlanGit(root, req.snapshot) });
  // git works out file digests while the workspace and project graph are read.
  const stats = await StatCache.load(join(root, '.kiln', 'file-digests'));
  const filesPromise = readWorkspaceFiles(root, stats, git.snapshot, git.index).catch(async (e: unknown) => {
    if (await insideWorkTree(root)) throw e;
    // Not a git checkout: list files by globbing and hash them all (the stat cache helps next time).
    const { globWorkspaceFiles } = await import('../workspace/read.js');
    return workspaceFilesWithoutGit(root, await globWorkspaceFiles(root), stats);
  });
  filesPromise.catch(() => undefined);
  const { ws, dependencies, external } = await workspaceAndGraph(root, req.cwd, start);
  trace('workspace and project graph');
  const config = ws.kiln;
  const files = await filesPromise;
  trace('file digests');
  return { ws, dependencies, external, config, stats, files };
}

/** The task graph of the request and every task's hash; `read` is the workspace already read for it, if any. */
export async function planTasks(req: PlanRequest, read?: WorkspaceRead, start?: PlanStart): Promise<TaskPlan> {
  read ??= await readForPlan(req, start);
  const trace = tracer();
  const { ws, dependencies, external, config, files } = read;
  const memo = read.session?.hashes;
  const once = <T>(name: string, of: readonly unknown[], compute: () => T): T => (memo ? memo.derive(name, of, compute) : compute());
  const projects = () => Object.fromEntries([...ws.projects].map(([name, p]) => [name, { root: p.root, targets: p.targets }]));
  const selection = { targets: req.targets, ...(req.projects && { projects: req.projects }), ...(req.configuration && { configuration: req.configuration }) };
  const tg = once(`tasks ${JSON.stringify(selection)}`, [ws, dependencies], () => createTaskGraph({ projects: projects(), dependencies }, selection));
  if (!tg.ok) throw new KilnError(tg.error);
  const requested = new Set<string>(tg.value.requested);
  const order: TaskToHash[] = topologicalOrder(tg.value).map((id) => {
    const { project, target, configuration } = tg.value.tasks[id]!;
    const args = requested.has(id) ? req.args : undefined;
    return { id, project, target, dependsOn: tg.value.dependencies[id] ?? [], ...(configuration && { configuration }), ...(args && { args }) };
  });
  const lockfile = async () => lockfileVersions(await readLockfile(ws.root));
  const versionOf = memo ? await memo.lockfile(lockfile) : await lockfile();
  const data = { files: once('visible', [files.files], () => nxVisibleFiles(ws.root, files.files)), digestOf: (f: string) => files.digestSync(f), versionOf };
  const resolved = resolveTaskHashInputs({ projects: ws.projects, namedInputs: ws.nxJson.namedInputs ?? NO_NAMED_INPUTS, dependencies, external }, data, order, memo);
  if (!resolved.ok) throw new KilnError(resolved.error);
  const env = req.env ?? process.env;
  const hashes = hashTasks(resolved.value, { digestOf: data.digestOf, env, runtime: await runtimeOutputs(resolved.value.commands, ws.root, env) }, memo);
  const tasks = new Map<TaskId, PlannedTask>();
  for (const { id, project: name, target, configuration, args } of order) {
    const project = ws.projects.get(name as never)!;
    const targetConfig = project.targets[target]!;
    const configurationOptions = configuration ? targetConfig.configurations?.[configuration] : undefined;
    const { hash, fingerprint } = hashes.get(id)!;
    const optional = { ...(configuration && { configuration }), ...(configurationOptions && { configurationOptions }), ...(args && args.length > 0 && { args }) };
    tasks.set(id, { id, project, target, config: targetConfig, hash, fingerprint, cacheable: targetConfig.cache === true, ...optional });
  }
  trace('task hashes');
  return { ...read, taskGraph: tg.value, tasks, cache: await planCache(ws.root, config, start?.cache) };
}

/** The plan's cache: the one a fresh clone opened early (restoring its run bundle ahead), when it has the settings the workspace gives. */
async function planCache(root: string, config: WorkspaceRead['config'], early?: Promise<LocalCache | undefined>): Promise<LocalCache> {
  const opened = await early?.catch(() => undefined);
  if (opened?.dir === config.cacheDirectory && opened.restoreMode === config.restoreMode && opened.sizeLimit === config.cacheMaxSize) return opened;
  void opened?.endAhead();
  return openLocalCache(root, config.cacheDirectory, { maxSize: config.cacheMaxSize, restoreMode: config.restoreMode });
}

/** One object for "no namedInputs", so a session's memo sees the same data from plan to plan. */
const NO_NAMED_INPUTS = {};
