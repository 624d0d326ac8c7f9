/**
 * `affected`, the operation behind the light entry point `affected.ts`: resolves base and head
 * with git, lists what changed, reads the workspace-wide files at both ends, and hands it all as
 * data to `affected/` (and `lockfile/`). Also owns the one policy decision the pure side cannot
 * make: what to do when git cannot answer (`failOpen`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// The parts of `affected/` a project-level run needs, each from its own module: task level
// (`affected/tasks.ts`, which brings the input matcher) loads only with a target.
import { affectedClosure, explainChain, invertEdges, type AffectedProjects } from '../affected/closure.js';
import { changedPaths, touchesFromFiles } from '../affected/files.js';
import { ProjectIndex } from '../graph/project-index.js';
import { rootPatternIndex, touchesFromRootPatternIndex, type RootPatternIndex } from '../affected/root-inputs.js';
import type { ChangedFile, ProjectRef, Reason, Touch } from '../affected/types.js';
import { compareConfigs, narrowNxJson, narrowRootPackageJson, narrowRootTsconfig, type ProjectConfigFingerprint } from '../affected/workspace-files.js';
import type { InputSpec } from '../inputs/index.js';
import type { Consumer, Lockfile } from '../lockfile/index.js';
import { tracer } from '../trace/index.js';
import { canonicalJson, diagnostic, didYouMean, KilnError, toRepoPath } from '../model/index.js';
import {
  changedFiles,
  listFilesAtRef,
  readFilesAtRef,
  repoRoot,
  resolveBase,
  resolveCommit,
  workingTreeChanges,
  type FileChange,
  type WorkingTreeScan,
} from '../scm/index.js';
import type { NxJsonConfiguration, Project, Workspace } from '../workspace/index.js';
import { definesProjects as isConfigFile, isLockfile, isOtherLockfile, isRootTsconfig, LOCKFILES, ROOT_CONFIG_FILES } from '../affected/root-files.js';
import type { AffectedOptions, AffectedResult, AffectedTaskResult } from './affected.js';
import { affectedGraph, loadSavedView, startColdBuild, viewOfGraph, type AffectedGraphView } from '../graph-state/index.js';


/** What the entry point found out before loading this module. */
export interface AffectedStart {
  readonly root: string;
  /** The base ref as named (option, KILN_BASE, nx.json, `main`). */
  readonly baseRef: string;
  /** `git status` and `git rev-parse` for [head ?? HEAD, baseRef], already running. */
  readonly scan: WorkingTreeScan;
  /** `git ls-files -z --cached`, already running when there was no saved state. */
  readonly listed?: Promise<string>;
}

/** `affected(options)`, once the entry point has started git. */
export async function runAffected(options: AffectedOptions, start: AffectedStart): Promise<AffectedResult> {
  const { root, baseRef, scan } = start;
  const trace = tracer('affected');
  trace('loaded');
  const warnings: string[] = [];
  const global: Reason[] = [];

  let base: string | null = null;
  let head: string | null = null;
  let changes: ChangedFile[] = [];
  /** The work tree as a commit plus changes, for the graph (undefined: outside git). */
  let tree: { anchor: string; changes: FileChange[] } | undefined;
  // While git works: the graph as the last run saved it (usually all a warm run needs), and what
  // the answer derives from it before knowing the changes.
  const saved = loadSavedView(root);
  const savedView = saved.view === undefined ? undefined : saved.expanded();
  // Without any saved state, the graph is built from every source file: start on that too.
  const cold = savedView === undefined ? startColdBuild(root, start.listed) : undefined;
  if (savedView !== undefined) prepared(savedView);
  trace('saved view');
  // Usually the one rev-parse the entry point started answers where the repository is and what both refs name.
  const place = await scan.place;
  const quick = place?.commits && { top: place.top, commits: place.commits };
  trace('refs');
  const top = place?.top ?? (await repoRoot(root));
  if (savedView !== undefined && options.owners && top !== undefined) void ownersLookup(savedView, top).catch(() => undefined);
  // A view that will not answer alone (an edited file, another base): read the full state now too.
  if (savedView !== undefined && !saved.looksCurrent(quick?.commits[1])) saved.state();
  const inGit = top !== undefined;
  try {
    const refs = await resolveRefs(root, baseRef, options, inGit, quick?.commits);
    base = refs.base;
    head = refs.head;
  } catch (error) {
    if (!(error instanceof KilnError)) throw error;
    if (options.files === undefined) {
      if (!options.failOpen) throw error;
      warnings.push(`${error.message}\n  --fail-open: treating every project as affected.`);
      global.push({ kind: 'global', file: '', detail: `fail-open: ${error.diagnostics[0]?.code ?? 'git-failed'}` });
    }
  }
  if (options.files !== undefined) changes = givenFiles(options.files);
  if (inGit) {
    if (base !== null && head === null) {
      tree = { anchor: base, changes: await workingTreeChanges(root, base, scan) };
      if (options.files === undefined) changes = tree.changes;
    } else {
      const current = place?.head ?? (await resolveCommit(root, 'HEAD'));
      const [worktree, between] = await Promise.all([
        current === undefined ? undefined : workingTreeChanges(root, current, scan),
        base !== null && head !== null && options.files === undefined ? changedFiles(root, base, head) : undefined,
      ]);
      if (current !== undefined && worktree !== undefined) tree = { anchor: current, changes: worktree };
      if (between !== undefined) changes = between;
    }
  }

  trace('changes');
  const paths = changedPaths(changes);
  const changed = new Set(paths);
  const configChanged = paths.some(isConfigFile);
  const view = tree
    ? await affectedGraph(root, tree.anchor, tree.changes, { full: configChanged || options.target !== undefined, saved, ...(cold && { cold }) })
    : await viewWithoutGit(options.cwd);
  trace(`graph (${view.source})`);
  const ws = view.workspace;
  const read = readers(root, base, head);
  const ready = prepared(view);
  const projects = ready.projects;
  const touches: Touch[] = [];

  // Project configuration at base, when a config file changed: ownership as it was, moved and removed projects.
  let baseProjects: ProjectRef[] | undefined;
  if (configChanged && read.base && ws) {
    const baseWs = await workspaceAt(root, read.baseRef!);
    if (baseWs === undefined) global.push({ kind: 'global', file: 'nx.json', detail: 'the workspace configuration at base could not be read' });
    else {
      baseProjects = [...baseWs.projects.values()].map((p) => ({ name: p.name, root: p.root }));
      const reasonFile = changed.has('nx.json') ? 'nx.json' : paths.find(isConfigFile)!;
      const compared = compareConfigs(fingerprints(baseWs), fingerprints(ws), reasonFile);
      touches.push(...compared.touches);
      touches.push(...removedProjectTouches(compared.removed, baseWs, ws, view));
    }
  }
  touches.push(...touchesFromFiles(changes, ready.index, baseProjects));

  // Workspace-wide files, narrowed.
  let consumerMap: Map<string, Consumer> | undefined;
  const consumers = (): Map<string, Consumer> =>
    (consumerMap ??= new Map(projects.map((p) => [p.name, { dir: p.root, names: view.external.get(p.name) ?? [] }])));
  const neededLocks = [...LOCKFILES].filter((f) => changed.has(f) || (changed.has('package.json') && existsSync(join(root, f))));
  await read.prefetch([...new Set([...neededLocks, ...ROOT_CONFIG_FILES.filter((f) => changed.has(f))])]);
  const lockfile = neededLocks.length > 0 || changed.has('package.json') ? await import('../lockfile/index.js') : undefined;
  const lockTexts = lockfile ? lockfiles(lockfile, read, neededLocks) : new Map<string, LockPair>();
  const packageNames: string[] = [];
  const tsconfigFile = view.tsconfigFile ?? (existsSync(join(root, 'tsconfig.base.json')) ? 'tsconfig.base.json' : 'tsconfig.json');
  for (const file of paths) {
    if (isLockfile(file)) {
      if (!read.base) {
        global.push({ kind: 'global', file, detail: 'no base to compare the lockfile with' });
        continue;
      }
      const lock = lockTexts.get(file);
      if (!lock || !lock.before.ok || !lock.after.ok) {
        const bad = lock && !lock.before.ok ? lock.before.error.message : lock && !lock.after.ok ? lock.after.error.message : 'not readable';
        global.push({ kind: 'global', file, detail: `the lockfile could not be compared (${bad})` });
        continue;
      }
      const hits = lockfile!.lockfileImpact(lockfile!.diffLockfiles(lock.before.value, lock.after.value), consumers());
      for (const [project, list] of hits)
        for (const h of list) touches.push({ project, reason: { kind: 'lockfile', package: h.package, file, via: h.via, before: h.before, after: h.after } });
    } else if (isOtherLockfile(file)) {
      global.push({ kind: 'global', file, detail: 'kiln cannot read this lockfile yet' });
    } else if (file === 'package.json') {
      const n = narrowRootPackageJson(file, json(read.before(file)), json(read.after(file)));
      global.push(...n.global);
      touches.push(...n.touches);
      packageNames.push(...n.packages);
    } else if (file === tsconfigFile) {
      const n = narrowRootTsconfig(file, await jsonc(read.before(file)), await jsonc(read.after(file)), projects);
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
        ? lockfile!.consumersOfPackages(lock.before.value, lock.after.value, names, consumers())
        : lockfile!.consumersOfPackages(emptyLock, emptyLock, names, consumers());
    for (const [project, list] of hits)
      for (const h of list) touches.push({ project, reason: { kind: 'lockfile', package: h.package, file: 'package.json', via: h.via } });
  }
  touches.push(...implicitDependencyTouches(view.nxJson, paths, global));
  touches.push(...touchesFromRootPatternIndex(ready.rootPatterns, paths));

  trace('touches');
  // The forward edges are only read when the reverse ones are missing: a getter keeps them unbuilt otherwise.
  const closure = affectedClosure(
    {
      projects,
      get dependencies() {
        return view.dependencies;
      },
      dependents: ready.dependents,
    },
    touches,
    global,
  );
  const reasons: Record<string, readonly Reason[]> = {};
  const chains: Record<string, string> = {};
  for (const name of closure.projects) {
    reasons[name] = closure.reasons.get(name)!;
    chains[name] = explainChain(closure, name);
  }
  const tasks = options.target === undefined ? undefined : await taskLevel(ws!, view, options.target, changes, closure, touches, global, warnings);
  const owners = options.owners && closure.projects.length > 0 ? await ownersOf(view, top ?? root, closure.projects) : options.owners ? {} : undefined;
  trace('closure, tasks, owners');
  return {
    base,
    head,
    projects: closure.projects,
    reasons,
    chains,
    changedFiles: paths,
    warnings,
    ...(tasks && { tasks }),
    ...(owners && { owners }),
    graphSource: view.source,
  };
}

/** What a project-level answer derives from the graph alone: built once per view, while git works when it can. */
interface Prepared {
  readonly projects: readonly ProjectRef[];
  readonly index: ProjectIndex;
  readonly rootPatterns: RootPatternIndex;
  readonly dependents: ReadonlyMap<string, readonly string[]>;
}

// Keyed by the projects list: copies of a view (another `source`, a `workspace` added) share it and the graph.
const preparedViews = new WeakMap<object, Prepared>();

function prepared(view: AffectedGraphView): Prepared {
  let ready = preparedViews.get(view.projects);
  if (ready === undefined) {
    const projects = view.projects;
    ready = {
      projects,
      index: new ProjectIndex(projects),
      rootPatterns: view.rootPatterns ?? rootPatternIndex(view.projects.map((p) => ({ name: p.name, patterns: p.rootInputs }))),
      dependents: view.dependents ?? invertEdges(view.dependencies),
    };
    preparedViews.set(view.projects, ready);
  }
  return ready;
}

/** The CODEOWNERS file and the owners kiln saved for this file and these project roots. */
interface OwnersLookup {
  readonly file: string | undefined;
  readonly key: string | undefined;
  readonly cached: Record<string, string[]>;
  readonly cacheFile: string;
}

const ownersLookups = new WeakMap<object, Promise<OwnersLookup>>();

function ownersLookup(view: AffectedGraphView, top: string): Promise<OwnersLookup> {
  let lookup = ownersLookups.get(view.projects);
  if (lookup === undefined) ownersLookups.set(view.projects, (lookup = readOwnersLookup(view, top)));
  return lookup;
}

/**
 * The owners of the affected projects, by the owners engineer's rule (`ownersOfProjects`). With a
 * CODEOWNERS file only names and roots matter, which the saved state has; ownership generated from
 * project configuration needs the whole workspace, read only then.
 */
async function ownersOf(view: AffectedGraphView, top: string, names: readonly string[]): Promise<Record<string, string[]>> {
  const { file, key, cached, cacheFile } = await ownersLookup(view, top);
  const missing = names.filter((n) => cached[n] === undefined);
  if (missing.length > 0) {
    const { ownersOfProjects } = await import('./owners.js');
    let ws = view.workspace;
    if (ws === undefined) {
      if (file !== undefined) {
        const projects = new Map(view.projects.map((p) => [p.name, { name: p.name, root: p.root, config: {}, configFiles: [], tags: [] }]));
        ws = { root: view.root, nxJson: view.nxJson, projects } as unknown as Workspace;
      } else ws = await (await import('./load-workspace.js')).loadWorkspace(view.root);
    }
    for (const [name, owners] of await ownersOfProjects(ws, missing)) cached[name] = [...owners];
    if (key !== undefined) {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ key, owners: cached }));
        renameSync(tmp, cacheFile);
      } catch {
        // only costs the next run its speed
      }
    }
  }
  return Object.fromEntries(names.map((n) => [n, cached[n] ?? []]));
}

async function readOwnersLookup(view: AffectedGraphView, top: string): Promise<OwnersLookup> {
  const { codeownersLocations } = await import('../owners/locate.js');
  const file = codeownersLocations().find((f) => existsSync(join(top, f)));
  // With a CODEOWNERS file, each project's owners depend only on that file and the project roots:
  // kept in .kiln (filled as projects are asked about) so a warm run neither loads nor compiles CODEOWNERS.
  const cacheFile = join(view.root, '.kiln/affected-owners.json');
  const key =
    file === undefined
      ? undefined
      : createHash('sha1')
          .update(readFileSync(join(top, file)))
          .update(`\0${file}\0${view.projects.map((p) => `${p.name}\0${p.root}`).join('\0')}`)
          .digest('hex');
  let cached: Record<string, string[]> = {};
  if (key !== undefined) {
    try {
      const saved = JSON.parse(readFileSync(cacheFile, 'utf8')) as { key: string; owners: Record<string, string[]> };
      if (saved.key === key) cached = saved.owners;
    } catch {
      // no cache yet
    }
  }
  return { file, key, cached, cacheFile };
}

/** Outside git (only with --files): the workspace and graph read the ordinary way. */
async function viewWithoutGit(cwd: string): Promise<AffectedGraphView> {
  const { loadWorkspace } = await import('./load-workspace.js');
  const { projectGraph } = await import('./project-graph.js');
  const ws = await loadWorkspace(cwd);
  return viewOfGraph(ws, await projectGraph(ws));
}

/** Base and head commits, by scm's one rule (`resolveBase`); outside git only --files can answer. */
async function resolveRefs(
  root: string,
  baseRef: string,
  options: AffectedOptions,
  inGit: boolean,
  resolved: readonly string[] | undefined,
): Promise<{ base: string | null; head: string | null }> {
  if (!inGit) {
    if (options.files !== undefined) return { base: null, head: null };
    throw new KilnError(
      diagnostic('not-a-git-repository', `${root} is not inside a git repository, so kiln cannot tell what changed.`, {
        hint: 'Run kiln affected in a git checkout, pass the changed files with --files a,b, or use --fail-open to treat everything as affected.',
      }),
    );
  }
  const found = await resolveBase(root, { baseRef, ...(options.head !== undefined && { head: options.head }), ...(resolved && { commits: [resolved[0]!, resolved[1]!] as const }) });
  if (!found.ok) throw new KilnError(found.error);
  return { base: found.value.base, head: options.head === undefined ? null : found.value.head };
}

function givenFiles(files: readonly string[]): ChangedFile[] {
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
async function jsonc(text: string | undefined): Promise<unknown> {
  if (text === undefined) return undefined;
  const { parse } = await import('jsonc-parser');
  return parse(text, [], { allowTrailingComma: true });
}

const emptyLock: Lockfile = { kind: 'npm', packages: new Map(), importers: new Map(), links: new Set() };

type LockfileModule = typeof import('../lockfile/index.js');
interface LockPair {
  readonly before: ReturnType<LockfileModule['parseLockfile']>;
  readonly after: ReturnType<LockfileModule['parseLockfile']>;
}

function lockfiles(lockfile: LockfileModule, read: Readers, files: readonly string[]): Map<string, LockPair> {
  const out = new Map<string, LockPair>();
  const fail = (file: string) => ({ ok: false as const, error: diagnostic('lockfile-missing', `${file} is missing`) });
  for (const file of files) {
    const b = read.before(file);
    const a = read.after(file);
    const after = a === undefined ? fail(file) : lockfile.parseLockfile(file, a);
    const before = b === undefined ? (read.base ? fail(file) : after) : b === a ? after : lockfile.parseLockfile(file, b);
    out.set(file, { before, after });
  }
  return out;
}

/** The workspace as it was at `ref`: its file list from git and its config files in one cat-file. */
async function workspaceAt(root: string, ref: string): Promise<Workspace | undefined> {
  const files = await listFilesAtRef(root, ref);
  const configs = files.filter((f) => isConfigFile(f) || isRootTsconfig(f));
  const texts = await readFilesAtRef(root, ref, configs);
  const { buildWorkspace } = await import('../workspace/index.js');
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
function removedProjectTouches(removed: readonly ProjectConfigFingerprint[], baseWs: Workspace, ws: Workspace, view: AffectedGraphView): Touch[] {
  const touches: Touch[] = [];
  const index = new ProjectIndex([...ws.projects.values()].map((p) => ({ name: p.name, root: p.root })));
  for (const r of removed) {
    const was = baseWs.projects.get(r.name as never)!;
    const names = new Set([r.name, ...(was.packageJson?.name ? [was.packageJson.name] : [])]);
    const file = was.configFiles[0] ?? r.root;
    for (const [project, externals] of view.external)
      if (externals.some((e) => names.has(e))) touches.push({ project, reason: { kind: 'dependency', on: r.name, ...({ removed: true } as object) } as Reason });
    for (const p of ws.projects.values())
      if (p.implicitDependencies.includes(r.name)) touches.push({ project: p.name, reason: { kind: 'dependency', on: r.name, ...({ removed: true } as object) } as Reason });
    const heir = index.projectOf(r.root);
    if (heir !== undefined) touches.push({ project: heir, reason: { kind: 'file', file, detail: `project ${r.name} was removed; its files now belong here` } });
  }
  return touches;
}

/** nx.json's old top-level `implicitDependencies` (file → projects, or "*"). */
function implicitDependencyTouches(nxJson: NxJsonConfiguration, paths: readonly string[], global: Reason[]): Touch[] {
  const map = (nxJson as { implicitDependencies?: unknown }).implicitDependencies;
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
async function taskLevel(
  ws: Workspace,
  view: AffectedGraphView,
  target: string,
  changes: readonly ChangedFile[],
  closure: AffectedProjects,
  touches: readonly Touch[],
  global: readonly Reason[],
  warnings: string[],
): Promise<AffectedTaskResult> {
  const allTargets = new Set<string>();
  for (const p of ws.projects.values()) for (const t of Object.keys(p.targets)) allTargets.add(t);
  if (!allTargets.has(target))
    throw new KilnError(
      diagnostic('unknown-target', `No project has a target named "${target}".${didYouMean(target, allTargets)}`, {
        hint: `Targets in this workspace: ${[...allTargets].sort().join(', ') || '(none)'}.`,
      }),
    );
  const dependencies: Record<string, string[]> = {};
  for (const [name, deps] of view.dependencies) dependencies[name] = [...deps];
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
  // The task graph as `kiln run` builds it, so "affected" and "what runs" agree.
  const { createTaskGraph } = await import('../tasks/graph.js');
  const taskProjects: Record<string, { root: string; targets: Project['targets'] }> = {};
  for (const p of ws.projects.values()) taskProjects[p.name] = { root: p.root, targets: p.targets };
  const built = createTaskGraph({ projects: taskProjects, dependencies }, { targets: [target] });
  if (!built.ok) throw new KilnError(built.error);
  const { affectedTasks } = await import('../affected/tasks.js');
  const result = affectedTasks({
    graph: built.value,
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

