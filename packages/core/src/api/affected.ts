/**
 * `affected`: resolves base and head with git, lists what changed, reads the workspace-wide files
 * at both ends, and hands it all as data to `affected/` (and `lockfile/`). Also owns the one
 * policy decision the pure side cannot make: what to do when git cannot answer (`failOpen`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import {
  affectedClosure,
  affectedTasks,
  canonicalJson,
  changedPaths,
  compareConfigs,
  explainChain,
  narrowNxJson,
  narrowRootPackageJson,
  narrowRootTsconfig,
  ProjectIndex,
  touchesFromFiles,
  workspaceRootInputTouches,
  type AffectedProjects,
  type ChangedFile,
  type DependencyGraph,
  type ProjectConfigFingerprint,
  type ProjectRef,
  type Reason,
  type TaskGraphData,
  type Touch,
} from '../affected/index.js';
import type { InputSpec } from '../inputs/index.js';
import { consumersOfPackages, diffLockfiles, lockfileImpact, parseLockfile, type Consumer, type Lockfile } from '../lockfile/index.js';
import { diagnostic, didYouMean, KilnError, toRepoPath } from '../model/index.js';
import { changedFiles, isShallow, listFilesAtRef, mergeBase, readFilesAtRef, repoRoot, resolveCommit } from '../scm/index.js';
import { buildWorkspace, type Workspace } from '../workspace/index.js';
import type { ProjectGraph } from '../graph/index.js';
import { loadWorkspace } from './load-workspace.js';
import { projectGraph } from './project-graph.js';

export interface AffectedOptions {
  readonly cwd: string;
  /** Base ref; else `KILN_BASE`, else nx.json `defaultBase`, else `main`. Resolved to the merge-base with head. */
  readonly base?: string;
  /** Head ref; without it the working tree counts (uncommitted and untracked files too). */
  readonly head?: string;
  /** Changed files given directly (workspace-relative), instead of asking git. */
  readonly files?: readonly string[];
  /** When git cannot answer (no repository, unknown base, shallow clone): everything is affected, with a warning. */
  readonly failOpen?: boolean;
  /** With a target: also the affected tasks of that target, judged by each task's resolved inputs. */
  readonly target?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface AffectedResult {
  /** The merge-base commit compared against (null with --files outside git, or when failing open). */
  readonly base: string | null;
  /** The head commit, or null for the working tree. */
  readonly head: string | null;
  readonly projects: readonly string[];
  readonly reasons: Readonly<Record<string, readonly Reason[]>>;
  /** For each affected project, the chain a person reads. */
  readonly chains: Readonly<Record<string, string>>;
  readonly changedFiles: readonly string[];
  readonly warnings: readonly string[];
  /** With `target`: the affected tasks of that target. */
  readonly tasks?: AffectedTaskResult;
  /** What task-level affected needs to go on from here. */
  readonly context: AffectedContext;
}

export interface AffectedTaskResult {
  readonly target: string;
  /** Affected `project:target` ids, sorted. */
  readonly tasks: readonly string[];
  readonly reasons: Readonly<Record<string, readonly Reason[]>>;
  readonly chains: Readonly<Record<string, string>>;
}

export interface AffectedContext {
  readonly workspace: Workspace;
  readonly graph: ProjectGraph;
  readonly changes: readonly ChangedFile[];
  readonly closure: AffectedProjects;
  readonly global: readonly Reason[];
}

const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml']);
const UNREADABLE_LOCKFILES = new Set(['yarn.lock', 'bun.lock', 'bun.lockb', 'pnpm-lock.yml']);
const isConfigFile = (p: string): boolean => /(^|\/)(project|package)\.json$/.test(p) || p === 'nx.json' || p === 'pnpm-workspace.yaml';

export async function affected(options: AffectedOptions): Promise<AffectedResult> {
  const env = options.env ?? process.env;
  const ws = await loadWorkspace(options.cwd);
  const warnings: string[] = [];
  const global: Reason[] = [];

  let base: string | null = null;
  let head: string | null = null;
  let changes: ChangedFile[] = [];
  try {
    const refs = await resolveRefs(ws, options, env);
    base = refs.base;
    head = refs.head;
    if (options.files !== undefined) changes = givenFiles(options.files, ws.root, options.cwd);
    else changes = await changedFiles(ws.root, refs.base!, refs.head ?? undefined);
  } catch (error) {
    if (!options.failOpen || !(error instanceof KilnError)) throw error;
    warnings.push(`${error.message}\n  --fail-open: treating every project as affected.`);
    global.push({ kind: 'global', file: '', detail: `fail-open: ${error.diagnostics[0]?.code ?? 'git-failed'}` });
    if (options.files !== undefined) changes = givenFiles(options.files, ws.root, options.cwd);
  }

  const graph = await projectGraph(ws);
  const read = readers(ws.root, base, head);
  const paths = changedPaths(changes);
  const changed = new Set(paths);
  const projects: ProjectRef[] = [...ws.projects.values()].map((p) => ({ name: p.name, root: p.root }));
  const touches: Touch[] = [];

  // Project configuration at base, when a config file changed: ownership as it was, moved and removed projects.
  let baseProjects: ProjectRef[] | undefined;
  const configChanged = paths.some(isConfigFile);
  if (configChanged && read.base) {
    const baseWs = await workspaceAt(ws.root, read.baseRef!);
    if (baseWs === undefined) global.push({ kind: 'global', file: 'nx.json', detail: 'the workspace configuration at base could not be read' });
    else {
      baseProjects = [...baseWs.projects.values()].map((p) => ({ name: p.name, root: p.root }));
      const reasonFile = changed.has('nx.json') ? 'nx.json' : paths.find(isConfigFile)!;
      const compared = compareConfigs(fingerprints(baseWs), fingerprints(ws), reasonFile);
      touches.push(...compared.touches);
      touches.push(...removedProjectTouches(compared.removed, baseWs, ws, graph));
    }
  }
  touches.push(...touchesFromFiles(changes, projects, baseProjects));

  // Workspace-wide files, narrowed.
  const consumers = new Map<string, Consumer>(projects.map((p) => [p.name, { dir: p.root, names: (graph.external.get(p.name as never) ?? []).map((e) => e.package) }]));
  const fileSet = new Set<string>(ws.files);
  const neededLocks = [...LOCKFILES].filter((f) => changed.has(f) || (changed.has('package.json') && fileSet.has(f)));
  await read.prefetch([...new Set([...neededLocks, ...['package.json', 'nx.json', 'tsconfig.base.json', 'tsconfig.json'].filter((f) => changed.has(f))])]);
  const lockTexts = await lockfiles(read, neededLocks);
  const packageNames: string[] = [];
  for (const file of paths) {
    if (LOCKFILES.has(file)) {
      const lock = lockTexts.get(file);
      if (!lock || !lock.before.ok || !lock.after.ok) {
        const bad = lock && !lock.before.ok ? lock.before.error.message : lock && !lock.after.ok ? lock.after.error.message : 'not readable';
        global.push({ kind: 'global', file, detail: `the lockfile could not be compared (${bad})` });
        continue;
      }
      const hits = lockfileImpact(diffLockfiles(lock.before.value, lock.after.value), consumers);
      for (const [project, list] of hits)
        for (const h of list) touches.push({ project, reason: { kind: 'lockfile', package: h.package, file, via: h.via, before: h.before, after: h.after } });
    } else if (UNREADABLE_LOCKFILES.has(file)) {
      global.push({ kind: 'global', file, detail: 'kiln cannot read this lockfile yet' });
    } else if (file === 'package.json') {
      const n = narrowRootPackageJson(file, json(read.before(file)), json(read.after(file)));
      global.push(...n.global);
      touches.push(...n.touches);
      packageNames.push(...n.packages);
    } else if (file === ws.tsconfigPaths?.file || (ws.tsconfigPaths === undefined && (file === 'tsconfig.base.json' || file === 'tsconfig.json'))) {
      const n = narrowRootTsconfig(file, jsonc(read.before(file)), jsonc(read.after(file)), projects);
      global.push(...n.global);
      touches.push(...n.touches);
    } else if (file === 'nx.json') {
      const n = narrowNxJson(file, json(read.before(file)), json(read.after(file)));
      global.push(...n.global);
      touches.push(...n.touches);
      if (n.projectsMayChange && baseProjects === undefined && !read.base)
        global.push({ kind: 'global', file, detail: 'no base to compare project configurations with' });
    }
  }
  if (packageNames.length > 0) {
    const lock = [...lockTexts.values()].find((l) => l.before.ok && l.after.ok);
    const names = new Set(packageNames);
    const hits =
      lock && lock.before.ok && lock.after.ok
        ? consumersOfPackages(lock.before.value, lock.after.value, names, consumers)
        : consumersOfPackages(emptyLock, emptyLock, names, consumers);
    for (const [project, list] of hits)
      for (const h of list) touches.push({ project, reason: { kind: 'lockfile', package: h.package, file: 'package.json', via: h.via } });
  }
  touches.push(...implicitDependencyTouches(ws, paths, global));
  touches.push(
    ...workspaceRootInputTouches(
      [...ws.projects.values()].map((p) => ({ name: p.name, targets: p.targets as never, ...(p.namedInputs && { namedInputs: p.namedInputs as never }) })),
      ws.nxJson.namedInputs as never,
      paths,
    ),
  );

  const dependencyGraph: DependencyGraph = {
    projects,
    dependencies: new Map([...graph.dependencies].map(([name, edges]) => [name as string, edges.map((e) => e.target as string)])),
  };
  const closure = affectedClosure(dependencyGraph, touches, global);
  const reasons: Record<string, readonly Reason[]> = {};
  const chains: Record<string, string> = {};
  for (const name of closure.projects) {
    reasons[name] = closure.reasons.get(name)!;
    chains[name] = explainChain(closure, name);
  }
  const tasks = options.target === undefined ? undefined : taskLevel(ws, graph, options.target, changes, closure, touches, global, warnings);
  return {
    base,
    head,
    projects: closure.projects,
    reasons,
    chains,
    changedFiles: paths,
    warnings,
    ...(tasks && { tasks }),
    context: { workspace: ws, graph, changes, closure, global },
  };
}

/** Base: the option, else KILN_BASE, else nx.json defaultBase, else main; then the merge-base with head. */
async function resolveRefs(
  ws: Workspace,
  options: AffectedOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ base: string | null; head: string | null }> {
  const root = await repoRoot(ws.root);
  if (root === undefined) {
    if (options.files !== undefined) return { base: null, head: null };
    throw new KilnError(
      diagnostic('not-a-git-repository', `${ws.root} is not inside a git repository, so kiln cannot tell what changed.`, {
        hint: 'Run kiln affected in a git checkout, pass the changed files with --files a,b, or use --fail-open to treat everything as affected.',
      }),
    );
  }
  const baseRef = options.base ?? (env.KILN_BASE || undefined) ?? ws.nxJson.defaultBase ?? 'main';
  const headCommit = await commitOf(ws.root, options.head ?? 'HEAD', options.head === undefined ? 'head' : '--head');
  const baseCommit = await commitOf(ws.root, baseRef, 'base');
  const mb = await mergeBase(ws.root, baseCommit, headCommit);
  if (mb === undefined) {
    if (await isShallow(ws.root))
      throw new KilnError(
        diagnostic('shallow-clone', `This is a shallow clone, and the merge-base of ${baseRef} and ${options.head ?? 'HEAD'} is not in its history.`, {
          hint: `Fetch more history: \`git fetch --deepen=200 origin ${baseRef.replace(/^origin\//, '')}\` (or \`git fetch --unshallow\`); in GitHub Actions set \`fetch-depth: 0\` on actions/checkout.`,
        }),
      );
    throw new KilnError(
      diagnostic('no-merge-base', `${baseRef} and ${options.head ?? 'HEAD'} have no common history.`, { hint: 'Pass a base that shares history with head (--base REF).' }),
    );
  }
  return { base: mb, head: options.head === undefined ? null : headCommit };
}

async function commitOf(cwd: string, ref: string, what: string): Promise<string> {
  const sha = (await resolveCommit(cwd, ref)) ?? (ref.includes('/') ? undefined : await resolveCommit(cwd, `origin/${ref}`));
  if (sha !== undefined) return sha;
  const hint =
    what === 'head' && ref === 'HEAD'
      ? 'The repository has no commits yet; commit something first.'
      : `Fetch it (\`git fetch origin ${ref}\`) or pass an existing ref with --${what === 'base' ? 'base' : 'head'}; set KILN_BASE or nx.json "defaultBase" to change the default.`;
  throw new KilnError(diagnostic(`unknown-${what === 'base' ? 'base' : 'head'}-ref`, `The ${what === 'base' ? 'base' : 'head'} ref "${ref}" does not name a commit in this repository.`, { hint }));
}

function givenFiles(files: readonly string[], wsRoot: string, cwd: string): ChangedFile[] {
  void cwd;
  void wsRoot;
  return [...new Set(files.map((f) => toRepoPath(f)).filter((f): f is NonNullable<typeof f> => f !== undefined && f !== ''))]
    .sort()
    .map((path) => ({ status: 'modified' as const, path }));
}

interface Readers {
  /** Whether a base exists to read from. */
  readonly base: boolean;
  readonly baseRef: string | undefined;
  before(path: string): string | undefined;
  after(path: string): string | undefined;
  prefetch(paths: readonly string[]): Promise<void>;
}

/** Reads files at base (git) and at head (git, or the working tree when there is no head). */
function readers(root: string, base: string | null, head: string | null): Readers {
  const before = new Map<string, string | undefined>();
  const after = new Map<string, string | undefined>();
  const fromDisk = (p: string): string | undefined => {
    try {
      return readFileSync(join(root, p), 'utf8');
    } catch {
      return undefined;
    }
  };
  return {
    base: base !== null,
    baseRef: base ?? undefined,
    before: (p) => before.get(p),
    after: (p) => (head === null ? (after.has(p) ? after.get(p) : fromDisk(p)) : after.get(p)),
    async prefetch(paths) {
      if (base !== null) {
        const got = await readFilesAtRef(root, base, paths);
        for (const p of paths) before.set(p, got.get(p));
      }
      if (head !== null) {
        const got = await readFilesAtRef(root, head, paths);
        for (const p of paths) after.set(p, got.get(p));
      }
    },
  };
}

const json = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
const jsonc = (text: string | undefined): unknown => (text === undefined ? undefined : parseJsonc(text, [], { allowTrailingComma: true }));

const emptyLock: Lockfile = { kind: 'npm', packages: new Map(), importers: new Map(), links: new Set() };

async function lockfiles(read: Readers, files: readonly string[]) {
  const out = new Map<string, { before: ReturnType<typeof parseLockfile>; after: ReturnType<typeof parseLockfile> }>();
  const fail = (file: string) => ({ ok: false as const, error: diagnostic('lockfile-missing', `${file} is missing`) });
  for (const file of files) {
    const b = read.before(file);
    const a = read.after(file);
    const after = a === undefined ? fail(file) : parseLockfile(file, a);
    const before = b === undefined ? (read.base ? fail(file) : after) : b === a ? after : parseLockfile(file, b);
    out.set(file, { before, after });
  }
  return out;
}

/** The workspace as it was at `ref`: its file list from git and its config files in one cat-file. */
async function workspaceAt(root: string, ref: string): Promise<Workspace | undefined> {
  const files = await listFilesAtRef(root, ref);
  const configs = files.filter((f) => isConfigFile(f) || f === 'tsconfig.base.json' || f === 'tsconfig.json');
  const texts = await readFilesAtRef(root, ref, configs);
  const result = buildWorkspace({ root, files, read: (p) => texts.get(p) });
  return result.ok ? result.value : undefined;
}

function fingerprints(ws: Workspace): ProjectConfigFingerprint[] {
  const named = ws.nxJson.namedInputs ?? {};
  return [...ws.projects.values()].map((p) => ({
    name: p.name,
    root: p.root,
    fingerprint: canonicalJson({ root: p.root, config: p.config, namedInputs: { ...named, ...p.namedInputs }, implicitDependencies: p.implicitDependencies }),
  }));
}

/**
 * A project that existed at base but not at head: the projects that still use it (now an
 * unresolved external name in their package.json or imports) are affected, as is whoever owns
 * its old root now (its files changed hands).
 */
function removedProjectTouches(removed: readonly ProjectConfigFingerprint[], baseWs: Workspace, ws: Workspace, graph: ProjectGraph): Touch[] {
  const touches: Touch[] = [];
  const index = new ProjectIndex([...ws.projects.values()].map((p) => ({ name: p.name, root: p.root })));
  for (const r of removed) {
    const was = baseWs.projects.get(r.name as never)!;
    const names = new Set([r.name, ...(was.packageJson?.name ? [was.packageJson.name] : [])]);
    const file = was.configFiles[0] ?? r.root;
    for (const [project, externals] of graph.external)
      if (externals.some((e) => names.has(e.package))) touches.push({ project, reason: { kind: 'dependency', on: r.name, ...({ removed: true } as object) } as Reason });
    for (const p of ws.projects.values())
      if (p.implicitDependencies.includes(r.name)) touches.push({ project: p.name, reason: { kind: 'dependency', on: r.name, ...({ removed: true } as object) } as Reason });
    const heir = index.ownerOf(r.root);
    if (heir !== undefined) touches.push({ project: heir, reason: { kind: 'file', file, detail: `project ${r.name} was removed; its files now belong here` } });
  }
  return touches;
}

/** nx.json's old top-level `implicitDependencies` (file → projects, or "*"). */
function implicitDependencyTouches(ws: Workspace, paths: readonly string[], global: Reason[]): Touch[] {
  const map = (ws.nxJson as { implicitDependencies?: unknown }).implicitDependencies;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return [];
  const touches: Touch[] = [];
  for (const [file, value] of Object.entries(map as Record<string, unknown>)) {
    if (!paths.includes(file)) continue;
    if (value === '*') global.push({ kind: 'global', file, detail: 'nx.json implicitDependencies names it for every project' });
    else if (Array.isArray(value)) for (const project of value) if (typeof project === 'string') touches.push({ project, reason: { kind: 'file', file, detail: 'nx.json implicitDependencies' } });
  }
  return touches;
}

/**
 * Task level: every task of `target` and what it depends on, its inputs resolved by `inputs/`, and
 * the project-level reasons no input filter narrows (external packages, configuration changes).
 */
function taskLevel(
  ws: Workspace,
  graph: ProjectGraph,
  target: string,
  changes: readonly ChangedFile[],
  closure: AffectedProjects,
  touches: readonly Touch[],
  global: readonly Reason[],
  warnings: string[],
): AffectedTaskResult {
  const allTargets = new Set<string>();
  for (const p of ws.projects.values()) for (const t of Object.keys(p.targets)) allTargets.add(t);
  if (!allTargets.has(target))
    throw new KilnError(
      diagnostic('unknown-target', `No project has a target named "${target}".${didYouMean(target, allTargets)}`, {
        hint: `Targets in this workspace: ${[...allTargets].sort().join(', ') || '(none)'}.`,
      }),
    );
  const dependencies: Record<string, string[]> = {};
  for (const [name, edges] of graph.dependencies) dependencies[name] = edges.map((e) => e.target as string);
  const projectReasons = new Map<string, Reason[]>();
  for (const t of touches) {
    const r = t.reason;
    const narrowable = r.kind === 'file' && (r.detail === undefined || r.detail.startsWith('an input'));
    if (narrowable) continue;
    let list = projectReasons.get(t.project);
    if (!list) projectReasons.set(t.project, (list = []));
    list.push(r);
  }
  const projects: Record<string, { root: string; namedInputs?: Record<string, readonly InputSpec[]> }> = {};
  for (const p of ws.projects.values()) projects[p.name] = { root: p.root, ...(p.namedInputs && { namedInputs: p.namedInputs as Record<string, readonly InputSpec[]> }) };
  const result = affectedTasks({
    graph: taskGraph(ws, dependencies, target),
    inputs: { ...(ws.nxJson.namedInputs && { namedInputs: ws.nxJson.namedInputs as Record<string, readonly InputSpec[]> }), projects, dependencies },
    targetInputs: (p, t) => ws.projects.get(p as never)?.targets[t]?.inputs as readonly InputSpec[] | undefined,
    changes,
    candidates: new Set(closure.projects),
    projectReasons,
    global,
  });
  for (const problem of result.problems) warnings.push(`inputs of ${problem}`);
  const ids = result.tasks.filter((id) => id.slice(id.lastIndexOf(':') + 1) === target && ws.projects.get(id.slice(0, id.lastIndexOf(':')) as never)?.targets[target] !== undefined);
  const reasons: Record<string, readonly Reason[]> = {};
  const chains: Record<string, string> = {};
  for (const id of ids) {
    reasons[id] = result.reasons.get(id)!;
    chains[id] = explainChain(result, id);
  }
  return { target, tasks: ids, reasons, chains };
}

/**
 * The tasks of `target` in every project that has it, and what they depend on through
 * `dependsOn` (`^x` each dependency's x, passing through projects without it; `x` the same
 * project's; `p:x`; the object forms). Kept minimal: `tasks/` owns the full task graph.
 */
function taskGraph(ws: Workspace, dependencies: Readonly<Record<string, readonly string[]>>, target: string): TaskGraphData {
  const tasks: Record<string, { project: string; target: string }> = {};
  const deps: Record<string, string[]> = {};
  const queue: string[] = [];
  const ensure = (project: string, t: string): string | undefined => {
    if (ws.projects.get(project as never)?.targets[t] === undefined) return undefined;
    const id = `${project}:${t}`;
    if (!tasks[id]) {
      tasks[id] = { project, target: t };
      deps[id] = [];
      queue.push(id);
    }
    return id;
  };
  for (const p of ws.projects.values()) ensure(p.name, target);
  const viaDependencies = (project: string, t: string, out: Set<string>, seen: Set<string>): void => {
    for (const dep of dependencies[project] ?? []) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      const id = ensure(dep, t);
      if (id !== undefined) out.add(id);
      else viaDependencies(dep, t, out, seen);
    }
  };
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const { project, target: t } = tasks[id]!;
    const out = new Set<string>();
    for (const entry of (ws.projects.get(project as never)?.targets[t]?.dependsOn ?? []) as unknown[]) {
      const e = typeof entry === 'string' ? entry : (entry as { target?: string; dependencies?: boolean; projects?: string | string[] });
      if (typeof e === 'string') {
        if (e.startsWith('^')) viaDependencies(project, e.slice(1), out, new Set([project]));
        else if (e.includes(':')) {
          const at = e.indexOf(':');
          const d = ensure(e.slice(0, at), e.slice(at + 1));
          if (d) out.add(d);
        } else {
          const d = ensure(project, e);
          if (d) out.add(d);
        }
      } else if (e && typeof e.target === 'string') {
        if (e.dependencies === true || e.projects === 'dependencies' || e.projects === '{dependencies}') viaDependencies(project, e.target, out, new Set([project]));
        else if (e.projects === undefined || e.projects === 'self' || e.projects === '{self}') {
          const d = ensure(project, e.target);
          if (d) out.add(d);
        } else
          for (const p of Array.isArray(e.projects) ? e.projects : [e.projects]) {
            const d = ensure(p, e.target);
            if (d) out.add(d);
          }
      }
    }
    out.delete(id);
    deps[id] = [...out].sort();
  }
  return { tasks, dependencies: deps };
}
