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
import { buildFingerprint, fingerprintDigest, sha256, type Fingerprint } from '../hash/index.js';
import { createFileOwner, groupByOwner, resolveDependencyInput, resolveTaskInputs, selectInputFiles, type DependencyInput, type InputsWorkspace, type InputSpec } from '../inputs/index.js';
import { LOCKFILES, parseLockfile, resolveFrom, type Lockfile } from '../lockfile/index.js';
import { diagnostic, KilnError, type Hash, type TaskId } from '../model/index.js';
import { insideWorkTree, resolveCommit, workingTreeChanges } from '../scm/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import { affectedGraph } from './affected-state.js';
import { createTaskGraph, topologicalOrder, type TaskGraph, type TaskGraphWorkspace } from '../tasks/index.js';
import type { Project, TargetConfiguration, Workspace } from '../workspace/index.js';
import { loadWorkspace } from './load-workspace.js';
import type { PendingSnapshot } from './run-manifest.js';
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
  const kiln = ((ws.nxJson as { kiln?: unknown }).kiln ?? {}) as Record<string, unknown>;
  const dir = typeof kiln.cacheDirectory === 'string' ? kiln.cacheDirectory : '.kiln/cache';
  const mode = kiln.restoreMode ?? 'link';
  if (mode !== 'link' && mode !== 'copy')
    throw new KilnError(diagnostic('invalid-config', `nx.json kiln.restoreMode must be "link" or "copy", not ${JSON.stringify(mode)}.`, { location: { file: 'nx.json' } }));
  return { cacheDirectory: resolve(ws.root, dir), cacheMaxSize: parseSize(kiln.cacheMaxSize) ?? 10 * 1024 ** 3, restoreMode: mode };
}

function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number' && v > 0) return v;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(v);
  if (!m) throw new KilnError(diagnostic('invalid-config', `nx.json kiln.cacheMaxSize "${v}" is not a size.`, { location: { file: 'nx.json' }, hint: 'Write bytes, or a number with KB, MB, GB or TB, e.g. "5GB".' }));
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 }[(m[2] ?? 'b').toLowerCase() as 'b']!;
  return Math.round(Number(m[1]) * unit);
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

  // A dependency project's share of a `^` input, digested once per project and chained along
  // dependency edges (a Merkle digest): O(projects + edges) however deep the graph is.
  const depDigests = new Map<string, string>();
  const depDigest = (project: string, input: DependencyInput): string => {
    const key = `${project}\0${input.kind}\0${input.value}`;
    let d = depDigests.get(key);
    if (d !== undefined) return d;
    // A project-graph cycle meets this marker instead of recursing forever.
    depDigests.set(key, 'cycle');
    const own = resolveDependencyInput(inputsWs, project, input);
    if (!own.ok) throw new KilnError(own.error);
    const parts: string[] = [];
    for (const f of selectInputFiles({ filesets: own.value }, files.files, byOwner)) parts.push(`${f}\0${files.digestSync(f) ?? ''}\n`);
    for (const dep of [...(dependencies[project] ?? [])].sort()) if (ws.projects.has(dep as never)) parts.push(`^${dep}\0${depDigest(dep, input)}\n`);
    d = sha256(parts.join(''));
    depDigests.set(key, d);
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
    for (const dep of dependencies[task.project] ?? []) {
      if (!ws.projects.has(dep as never)) continue;
      for (const di of depInputs) projectFiles[depInputs.length === 1 ? dep : `${dep} (${di.kind === 'named' ? '^' : ''}${di.value})`] = depDigest(dep, di);
    }
    const deps: Record<string, string> = {};
    for (const d of tg.value.dependencies[id] ?? []) deps[d] = tasks.get(d)!.hash;
    const runtimeValues: Record<string, string> = {};
    for (const c of inputs.value.runtime) runtimeValues[c] = await runtimeOf(c);
    const externalVersions: Record<string, string> = {};
    const used = external.get(task.project) ?? [];
    const wanted = inputs.value.externalDependencies;
    for (const e of used) if (wanted === undefined || wanted.includes(e.package)) externalVersions[e.package] = versionOf(project.root, e.package) ?? e.range ?? '*';
    if (wanted) for (const name of wanted) externalVersions[name] ??= versionOf(project.root, name) ?? '*';
    const fingerprint = buildFingerprint({
      task: id,
      root: project.root,
      target: targetFingerprint(project, config, task.configuration, requested.has(id) ? req.args : undefined),
      files: inputFiles,
      digestOf: (f) => digests.get(f),
      dependencies: deps,
      projectFiles,
      envNames: inputs.value.env,
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
): Promise<{ ws: Workspace; dependencies: Record<string, string[]>; external: Map<string, { package: string; range?: string }[]> }> {
  const head = await resolveCommit(root, 'HEAD');
  if (head !== undefined) {
    const changes = await workingTreeChanges(root, head);
    const view = await affectedGraph(root, head, changes, { full: true });
    if (view.workspace) {
      const dependencies: Record<string, string[]> = {};
      for (const [name, deps] of view.dependencies) dependencies[name] = [...deps];
      const external = new Map<string, { package: string }[]>();
      for (const [name, pkgs] of view.external) external.set(name, pkgs.map((p) => ({ package: p })));
      return { ws: view.workspace, dependencies, external };
    }
  }
  const ws = await loadWorkspace(cwd);
  const graph = await projectGraph(ws);
  const dependencies: Record<string, string[]> = {};
  for (const [name, edges] of graph.dependencies) dependencies[name] = edges.map((e) => e.target);
  const external = new Map<string, { package: string; range?: string }[]>();
  for (const [name, list] of graph.external) external.set(name, list.map((e) => ({ package: e.package, ...(e.range !== undefined && { range: e.range }) })));
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
 * stands in). Parsed lazily: only a task that uses external packages needs it.
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
  const memo = new Map<string, string | undefined>();
  return (dir, name) => {
    const key = `${dir}\0${name}`;
    if (!memo.has(key)) {
      const id = resolveFrom(found, dir, name);
      const pkg = id === undefined ? undefined : found.packages.get(id);
      memo.set(key, pkg ? `${pkg.version}${pkg.integrity ? ` ${pkg.integrity}` : ''}` : undefined);
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

/** With KILN_TRACE=1, prints how long each phase took (on stderr), for tuning. */
export function tracer(): (label: string) => void {
  if (!process.env.KILN_TRACE) return () => undefined;
  let last = performance.now();
  return (label) => {
    const now = performance.now();
    process.stderr.write(`kiln trace: ${label} ${Math.round(now - last)}ms (at ${Math.round(now)}ms)\n`);
    last = now;
  };
}

export const defaultParallel = (): number => availableParallelism();
