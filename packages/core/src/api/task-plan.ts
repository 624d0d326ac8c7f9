/**
 * Shared by `run`, `hash` and `why-miss`: loads the workspace, builds the task graph, and computes
 * every task's fingerprint and hash (dependencies first). Not part of the public api.
 */
import { exec } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LocalCache } from '../cache/index.js';
import { readWorkspaceFiles, StatCache, workspaceFilesWithoutGit, type WorkspaceFiles } from '../files/index.js';
import { buildFingerprint, fingerprintDigest, type Fingerprint } from '../hash/index.js';
import { createFileOwner, groupByOwner, resolveDependencyInput, resolveTaskInputs, selectInputFiles, type DependencyInput, type InputsWorkspace, type InputSpec } from '../inputs/index.js';
import { componentsOf, declaredRange } from '../graph/index.js';
import { dependencyIds, LOCKFILES, parseLockfile, resolveFrom, type Lockfile } from '../lockfile/index.js';
import { diagnostic, KilnError, sha256, type Hash, type TaskId } from '../model/index.js';
import { insideWorkTree, resolveCommit, workingTreeChanges } from '../scm/index.js';
import { tracer } from '../trace/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import { affectedGraph } from './affected-state.js';
import { createTaskGraph, topologicalOrder, type TaskGraph, type TaskGraphWorkspace } from '../tasks/index.js';
import type { Project, TargetConfiguration, Workspace } from '../workspace/index.js';
import { loadWorkspace } from './load-workspace.js';
import type { PendingSnapshot } from '../run-manifest/index.js';
import { projectGraph } from './project-graph.js';

/** Settings under `"kiln"` in nx.json that the runner reads. */
export interface RunnerConfig {
  /** Absolute cache directory; nx.json `kiln.cacheDirectory` (relative to the workspace), default `.kiln/cache`. */
  readonly cacheDirectory: string;
  /** nx.json `kiln.cacheMaxSize`: bytes, or a string like `"5GB"`, `"500MB"`; default 10 GB. */
  readonly cacheMaxSize: number;
  /** nx.json `kiln.restoreMode`: `"link"` (hard links to the cache's copies, default) or `"copy"`. */
  readonly restoreMode: 'link' | 'copy';
}

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

export interface TaskPlan {
  readonly ws: Workspace;
  readonly taskGraph: TaskGraph;
  readonly tasks: ReadonlyMap<TaskId, PlannedTask>;
  readonly config: RunnerConfig;
  readonly cache: LocalCache;
  readonly stats: StatCache;
  readonly files: WorkspaceFiles;
}

export interface PlanRequest {
  readonly cwd: string;
  readonly targets: readonly string[];
  readonly projects?: readonly string[];
  readonly configuration?: string;
  /** Extra arguments forwarded to the requested tasks' commands. */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** A snapshot of the work tree taken before this request read anything (by the run manifest's check), to use instead of a new one. */
  readonly snapshot?: PendingSnapshot;
}

export function runnerConfig(ws: Workspace): RunnerConfig {
  return ws.kiln;
}

/** The project and target parts of `project:target`, or a usage error. */
export function splitTask(spec: string): { project: string; target: string } {
  const at = spec.indexOf(':');
  if (at <= 0 || at === spec.length - 1)
    throw new KilnError(diagnostic('invalid-task', `"${spec}" is not a task.`, { hint: 'Write PROJECT:TARGET, e.g. app:build.' }));
  return { project: spec.slice(0, at), target: spec.slice(at + 1) };
}

export async function planTasks(req: PlanRequest): Promise<TaskPlan> {
  const trace = tracer();
  const root = requireWorkspaceRoot(req.cwd);
  // A snapshot taken before `.kiln/.gitignore` existed lists kiln's own files as untracked: not usable.
  const snapshot = ignoreKilnDirectory(root) ? undefined : req.snapshot?.root === root ? req.snapshot.promise : undefined;
  // git works out file digests while the workspace and project graph are read.
  const stats = await StatCache.load(join(root, '.kiln', 'file-digests'));
  const filesPromise = readWorkspaceFiles(root, stats, snapshot).catch(async (e: unknown) => {
    if (await insideWorkTree(root)) throw e;
    // Not a git checkout: list files by globbing and hash them all (the stat cache helps next time).
    const { globWorkspaceFiles } = await import('../workspace/read.js');
    return workspaceFilesWithoutGit(root, await globWorkspaceFiles(root), stats);
  });
  filesPromise.catch(() => undefined);
  const { ws, dependencies, external } = await workspaceAndGraph(root, req.cwd);
  trace('workspace and project graph');
  const config = runnerConfig(ws);
  const files = await filesPromise;
  trace('file digests');

  const tgWorkspace: TaskGraphWorkspace = {
    projects: Object.fromEntries([...ws.projects].map(([name, p]) => [name, { root: p.root, targets: p.targets }])),
    dependencies,
  };
  const tg = createTaskGraph(tgWorkspace, { targets: req.targets, ...(req.projects && { projects: req.projects }), ...(req.configuration && { configuration: req.configuration }) });
  if (!tg.ok) throw new KilnError(tg.error);

  const inputsWs: InputsWorkspace = {
    namedInputs: (ws.nxJson.namedInputs ?? {}) as Record<string, InputSpec[]>,
    projects: Object.fromEntries([...ws.projects].map(([name, p]) => [name, { root: p.root, ...(p.namedInputs && { namedInputs: p.namedInputs as Record<string, InputSpec[]> }) }])),
    dependencies,
  };
  const owner = createFileOwner(inputsWs.projects);
  const byOwner = groupByOwner(files.files, owner);
  const versionOf = await lockfileResolver(ws.root);
  const env = req.env ?? process.env;
  const runtime = new Map<string, Promise<string>>();
  const runtimeOf = (command: string): Promise<string> => {
    let p = runtime.get(command);
    if (!p) {
      p = new Promise((res) => exec(command, { cwd: ws.root, env }, (_e, stdout, stderr) => res(sha256(`${stdout}\0${stderr}`))));
      runtime.set(command, p);
    }
    return p;
  };

  // The external packages a project uses, each with its resolved version (and what that pulls in).
  const externalsOf = (name: string, only: readonly string[] | undefined): Record<string, string> => {
    const project = ws.projects.get(name as never)!;
    const out: Record<string, string> = {};
    const version = (pkg: string): string => versionOf(project.root, pkg) ?? declaredRange(project.packageJson, pkg) ?? '*';
    for (const pkg of external.get(name) ?? []) if (only === undefined || only.includes(pkg)) out[pkg] = version(pkg);
    if (only) for (const pkg of only) out[pkg] ??= version(pkg);
    return out;
  };
  // A dependency's share of a `^` input (its files and external packages in its own terms, the
  // env values and commands its named input lists), digested once per strongly connected
  // component and chained along dependency edges (a Merkle digest): O(projects + edges) however
  // deep the graph is, and the same whichever task asks first, cycles included.
  const components = componentsOf(ws.projects.keys(), (p) => dependencies[p] ?? []);
  interface DepShare {
    readonly digest: string;
    readonly env: ReadonlySet<string>;
    readonly runtime: ReadonlySet<string>;
  }
  const depShares = new Map<string, DepShare>();
  const depShare = (project: string, input: DependencyInput): DepShare => {
    const members = components.get(project)!;
    const key = `${members[0]}\0${input.kind}\0${input.value}`;
    let d = depShares.get(key);
    if (d !== undefined) return d;
    const parts: string[] = [];
    const env = new Set<string>();
    const runtime = new Set<string>();
    const inComponent = new Set(members);
    const outside = new Set<string>();
    for (const m of members) {
      const own = resolveDependencyInput(inputsWs, m, input);
      if (!own.ok) throw new KilnError(own.error);
      parts.push(`@${m}\n`);
      for (const f of selectInputFiles({ filesets: own.value.filesets }, files.files, byOwner)) parts.push(`${f}\0${files.digestSync(f) ?? ''}\n`);
      for (const [pkg, version] of Object.entries(externalsOf(m, own.value.externalDependencies)).sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`npm:${pkg}\0${version}\n`);
      for (const e of own.value.env) env.add(e);
      for (const r of own.value.runtime) runtime.add(r);
      for (const dep of dependencies[m] ?? []) if (!inComponent.has(dep) && ws.projects.has(dep as never)) outside.add(dep);
    }
    for (const dep of [...outside].sort()) {
      const sub = depShare(dep, input);
      parts.push(`^${dep}\0${sub.digest}\n`);
      for (const e of sub.env) env.add(e);
      for (const r of sub.runtime) runtime.add(r);
    }
    d = { digest: sha256(parts.join('')), env, runtime };
    depShares.set(key, d);
    return d;
  };
  const tasks = new Map<TaskId, PlannedTask>();
  const requested = new Set<string>(tg.value.requested);
  for (const id of topologicalOrder(tg.value)) {
    const task = tg.value.tasks[id]!;
    const project = ws.projects.get(task.project as never)!;
    const config = project.targets[task.target]!;
    const inputs = resolveTaskInputs(inputsWs, task.project, config.inputs as InputSpec[] | undefined, { transitive: false });
    if (!inputs.ok) throw new KilnError(inputs.error);
    // The task's own files (and any workspace files) are listed one by one, so `why-miss` names them.
    const inputFiles = selectInputFiles(inputs.value, files.files, byOwner);
    const digests = new Map<string, string | undefined>();
    for (const f of inputFiles) digests.set(f, files.digestSync(f));
    const projectFiles: Record<string, string> = {};
    const depInputs = inputs.value.dependencyInputs;
    const envNames = new Set(inputs.value.env);
    const commands = new Set(inputs.value.runtime);
    for (const dep of dependencies[task.project] ?? []) {
      if (!ws.projects.has(dep as never)) continue;
      for (const di of depInputs) {
        const share = depShare(dep, di);
        projectFiles[depInputs.length === 1 ? dep : `${dep} (${di.kind === 'named' ? '^' : ''}${di.value})`] = share.digest;
        // A dependency's env values and commands are named in the task's own fingerprint, so `why-miss` names them.
        for (const e of share.env) envNames.add(e);
        for (const r of share.runtime) commands.add(r);
      }
    }
    const deps: Record<string, string> = {};
    for (const d of tg.value.dependencies[id] ?? []) deps[d] = tasks.get(d)!.hash;
    const runtimeValues: Record<string, string> = {};
    for (const c of [...commands].sort()) runtimeValues[c] = await runtimeOf(c);
    const externalVersions = externalsOf(task.project, inputs.value.externalDependencies);
    const fingerprint = buildFingerprint({
      task: id,
      root: project.root,
      target: targetFingerprint(project, config, task.configuration, requested.has(id) ? req.args : undefined),
      files: inputFiles,
      digestOf: (f) => digests.get(f),
      dependencies: deps,
      projectFiles,
      envNames: [...envNames].sort(),
      env,
      runtime: runtimeValues,
      external: externalVersions,
    });
    const args = requested.has(id) && req.args && req.args.length > 0 ? req.args : undefined;
    const configurationOptions = task.configuration ? config.configurations?.[task.configuration] : undefined;
    tasks.set(id, {
      id,
      project,
      target: task.target,
      config,
      hash: fingerprintDigest(fingerprint),
      fingerprint,
      cacheable: config.cache === true,
      ...(task.configuration && { configuration: task.configuration }),
      ...(configurationOptions && { configurationOptions }),
      ...(args && { args }),
    });
  }
  trace('task hashes');
  const cache = new LocalCache(ws.root, config.cacheDirectory, { maxSize: config.cacheMaxSize, restoreMode: config.restoreMode });
  return { ws, taskGraph: tg.value, tasks, config, cache, stats, files };
}

/**
 * The workspace and its project edges. Through the saved graph state that `affected` keeps
 * (`.kiln/affected-state.json`), so a run does not rescan every source file for imports; a
 * repository without commits reads everything.
 */
async function workspaceAndGraph(
  root: string,
  cwd: string,
): Promise<{ ws: Workspace; dependencies: Record<string, string[]>; external: ReadonlyMap<string, readonly string[]> }> {
  const head = await resolveCommit(root, 'HEAD');
  if (head !== undefined) {
    const changes = await workingTreeChanges(root, head);
    const view = await affectedGraph(root, head, changes, { full: true });
    if (view.workspace) {
      const dependencies: Record<string, string[]> = {};
      for (const [name, deps] of view.dependencies) dependencies[name] = [...deps];
      return { ws: view.workspace, dependencies, external: view.external };
    }
  }
  const ws = await loadWorkspace(cwd);
  const graph = await projectGraph(ws);
  const dependencies: Record<string, string[]> = {};
  for (const [name, edges] of graph.dependencies) dependencies[name] = edges.map((e) => e.target);
  const external = new Map<string, string[]>();
  for (const [name, list] of graph.external) external.set(name, list.map((e) => e.package));
  return { ws, dependencies, external };
}

/** The part of a target's configuration that decides what runs and what it produces. */
function targetFingerprint(project: Project, config: TargetConfiguration, configuration: string | undefined, args: readonly string[] | undefined): Record<string, unknown> {
  return {
    executor: config.executor ?? null,
    options: config.options ?? {},
    configuration: configuration ?? null,
    configurationOptions: configuration ? (config.configurations?.[configuration] ?? {}) : {},
    outputs: config.outputs ?? [],
    ...(config.executor === 'nx:run-script' && { script: (config.metadata as { scriptContent?: string } | undefined)?.scriptContent ?? null }),
    ...(args && args.length > 0 && { args }),
    ...(project.packageJson?.name !== undefined && config.executor === 'nx:run-script' && { package: project.packageJson.name }),
  };
}

/**
 * The version an external package resolves to from a project directory, from the workspace's
 * lockfile (npm, pnpm or yarn, via `lockfile/`), or undefined without one (the declared range then
 * stands in): `version integrity`, and when the package depends on others, a digest of every
 * package it pulls in (name, version, integrity), as Nx hashes an external package's whole tree.
 * Parsed lazily: only a task that uses external packages needs it.
 */
async function lockfileResolver(root: string): Promise<(dir: string, name: string) => string | undefined> {
  let lock: Lockfile | undefined;
  for (const file of LOCKFILES) {
    let text: string;
    try {
      text = await readFile(join(root, file), 'utf8');
    } catch {
      continue;
    }
    const parsed = parseLockfile(file, text);
    if (parsed.ok) lock = parsed.value;
    break;
  }
  if (!lock) return () => undefined;
  const found = lock;
  const pinned = (id: string): string => {
    const pkg = found.packages.get(id)!;
    return `${pkg.version}${pkg.integrity ? ` ${pkg.integrity}` : ''}`;
  };
  const trees = new Map<string, string>();
  const treeOf = (id: string): string => {
    let t = trees.get(id);
    if (t === undefined) {
      const seen = new Set([id]);
      const pulled = new Set<string>();
      const stack = dependencyIds(found, id);
      while (stack.length > 0) {
        const next = stack.pop()!;
        if (seen.has(next) || !found.packages.has(next)) continue;
        seen.add(next);
        pulled.add(`${found.packages.get(next)!.name}@${pinned(next)}`);
        stack.push(...dependencyIds(found, next));
      }
      t = pulled.size === 0 ? '' : ` tree ${sha256([...pulled].sort().join('\n')).slice(0, 16)}`;
      trees.set(id, t);
    }
    return t;
  };
  const memo = new Map<string, string | undefined>();
  return (dir, name) => {
    const key = `${dir}\0${name}`;
    if (!memo.has(key)) {
      const id = resolveFrom(found, dir, name);
      memo.set(key, id !== undefined && found.packages.has(id) ? `${pinned(id)}${treeOf(id)}` : undefined);
    }
    return memo.get(key);
  };
}

/**
 * `.kiln/` holds caches, never inputs: a `.gitignore` of `*` inside keeps git (and so kiln) from
 * listing it. True when the file had to be written now.
 */
function ignoreKilnDirectory(root: string): boolean {
  const file = join(root, '.kiln', '.gitignore');
  if (existsSync(file)) return false;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '*\n', { flag: 'wx' });
  } catch {
    // Another process wrote it first, or the directory is read-only: harmless either way.
  }
  return true;
}


export const defaultParallel = (): number => availableParallelism();
