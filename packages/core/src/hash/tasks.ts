/**
 * Every task's fingerprint and hash, dependencies first. In two steps, so that running commands
 * stays at the edge: `resolveTaskHashInputs` resolves each task's inputs (its files, the `^`
 * shares of its dependencies, env names, external versions) and lists the `{runtime}` commands
 * they name; `hashTasks` then turns them, with those commands' outputs, into fingerprints.
 */
// The graph's modules one by one: its index brings the import scanner and the graph builder, which a plan does not use.
import { componentsOf } from '../graph/cycles.js';
import {
  createFileOwner,
  groupByOwner,
  resolveDependencyInput,
  resolveTaskInputs,
  selectInputFiles,
  type DependencyInput,
  type InputSpec,
  type ProjectFileset,
  type InputsWorkspace,
} from '../inputs/index.js';
import { err, ok, sha256, type Diagnostic, type Hash, type Result, type TaskId } from '../model/index.js';
import type { Project } from '../workspace/index.js';
import { buildFingerprint } from './build.js';
import { externalVersions, type VersionOf } from './externals.js';
import { fingerprintDigest, type Fingerprint } from './fingerprint.js';
import type { TaskHashMemo } from './memo.js';
import { targetFingerprint } from './target.js';

/** The workspace as task hashing sees it. */
export interface TaskHashWorkspace {
  readonly projects: ReadonlyMap<string, Project>;
  /** nx.json `namedInputs`. */
  readonly namedInputs: Readonly<Record<string, readonly InputSpec[]>>;
  /** Direct project dependencies (project → projects it depends on). */
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
  /** The external (npm) packages each project uses. */
  readonly external: ReadonlyMap<string, readonly string[]>;
}

/** What the edges gathered: the workspace's files and their digests, and the lockfile's versions. */
export interface TaskHashData {
  /** Every candidate input file, repository-relative, sorted. */
  readonly files: readonly string[];
  /** A file's git blob id; undefined for a file gone since it was listed (it is left out). */
  readonly digestOf: (file: string) => string | undefined;
  readonly versionOf: VersionOf;
}

/** A task to hash, in an order where its dependencies come first. */
export interface TaskToHash {
  readonly id: TaskId;
  readonly project: string;
  readonly target: string;
  readonly configuration?: string;
  /** The tasks it depends on (the task graph's edges): their hashes are part of its own. */
  readonly dependsOn: readonly TaskId[];
  /** Extra arguments forwarded to its command. */
  readonly args?: readonly string[];
}

/** One task with its inputs resolved; only the `{runtime}` outputs and its dependencies' hashes are missing. */
export interface ResolvedTask {
  readonly task: TaskToHash;
  readonly root: string;
  readonly target: Readonly<Record<string, unknown>>;
  /** Its own input files (and any workspace files), listed one by one so `why-miss` names them. */
  readonly files: readonly string[];
  /** Each direct dependency's share of its `^` inputs, as one chained digest. */
  readonly projectFiles: Readonly<Record<string, string>>;
  readonly envNames: readonly string[];
  /** Its `{runtime}` commands and those its dependencies' shares name, sorted. */
  readonly commands: readonly string[];
  readonly external: Readonly<Record<string, string>>;
}

export interface ResolvedTasks {
  readonly tasks: readonly ResolvedTask[];
  /** Every `{runtime}` command, in the order the tasks first need them: run them in this order. */
  readonly commands: readonly string[];
}

/** A dependency's share of a `^` input, digested with everything below it. */
interface DepShare {
  readonly digest: string;
  readonly env: ReadonlySet<string>;
  readonly runtime: ReadonlySet<string>;
}

class InputsError {
  constructor(readonly diagnostics: Diagnostic[]) {}
}

function unwrap<T>(r: Result<T, Diagnostic[]>): T {
  if (!r.ok) throw new InputsError(r.error);
  return r.value;
}

/**
 * Resolves the inputs of `tasks` (dependencies first), or the diagnostics of an input that does not
 * resolve. `memo` (a watch session's): shares and tasks whose files did not change since its last
 * plan are taken from it (see `memo.ts`).
 */
export function resolveTaskHashInputs(ws: TaskHashWorkspace, data: TaskHashData, tasks: readonly TaskToHash[], memo?: TaskHashMemo): Result<ResolvedTasks, Diagnostic[]> {
  const { projects, dependencies } = ws;
  memo?.begin([projects, ws.namedInputs, dependencies, ws.external, data.files, data.versionOf]);
  const inputsProjects = (): InputsWorkspace['projects'] =>
    Object.fromEntries([...projects].map(([name, p]) => [name, { root: p.root, ...(p.namedInputs && { namedInputs: p.namedInputs as Record<string, InputSpec[]> }) }]));
  const inputsWs: InputsWorkspace = { namedInputs: ws.namedInputs, projects: memo ? memo.derive('inputsProjects', [projects], inputsProjects) : inputsProjects(), dependencies };
  const byOwner = memo
    ? memo.derive('byOwner', [data.files], () => groupByOwner(data.files, createFileOwner(inputsWs.projects)))
    : groupByOwner(data.files, createFileOwner(inputsWs.projects));
  // A project's files are selected once per distinct set of globs: a task and its dependents' `^` shares usually ask the same.
  const selections = new Map<string, string[]>();
  const select = (filesets: readonly ProjectFileset[]): string[] => {
    const key = filesets
      .map((f) => [f.project, ...f.project_include, '\0', ...f.project_exclude, '\0', ...f.workspace_include, '\0', ...f.workspace_exclude].join('\u0001'))
      .join('\u0002');
    let hit = selections.get(key);
    if (hit === undefined) selections.set(key, (hit = selectInputFiles({ filesets }, data.files, byOwner)));
    return hit;
  };
  const externalsOf = (name: string, only: readonly string[] | undefined): Record<string, string> =>
    externalVersions(projects.get(name)!, ws.external.get(name) ?? [], only, data.versionOf);

  // A dependency's share of a `^` input (its files and external packages in its own terms, the
  // env values and commands its named input lists), digested once per strongly connected
  // component and chained along dependency edges (a Merkle digest): O(projects + edges) however
  // deep the graph is, and the same whichever task asks first, cycles included.
  const components = memo
    ? memo.derive('components', [projects, dependencies], () => componentsOf(projects.keys(), (p) => dependencies[p] ?? []))
    : componentsOf(projects.keys(), (p) => dependencies[p] ?? []);
  const depShares = new Map<string, DepShare>();
  const depShare = (project: string, input: DependencyInput): DepShare => {
    const members = components.get(project)!;
    const key = `${members[0]}\0${input.kind}\0${input.value}`;
    let d = depShares.get(key) ?? (memo?.shares.get(key)?.share as DepShare | undefined);
    if (d !== undefined) return d;
    const read: string[] = [];
    const parts: string[] = [];
    const env = new Set<string>();
    const runtime = new Set<string>();
    const inComponent = new Set(members);
    const outside = new Set<string>();
    for (const m of members) {
      const own = unwrap(resolveDependencyInput(inputsWs, m, input));
      parts.push(`@${m}\n`);
      for (const f of select(own.filesets)) (parts.push(`${f}\0${data.digestOf(f) ?? ''}\n`), read.push(f));
      for (const [pkg, version] of Object.entries(externalsOf(m, own.externalDependencies)).sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`npm:${pkg}\0${version}\n`);
      for (const e of own.env) env.add(e);
      for (const r of own.runtime) runtime.add(r);
      for (const dep of dependencies[m] ?? []) if (!inComponent.has(dep) && projects.has(dep)) outside.add(dep);
    }
    for (const dep of [...outside].sort()) {
      const sub = depShare(dep, input);
      parts.push(`^${dep}\0${sub.digest}\n`);
      for (const e of sub.env) env.add(e);
      for (const r of sub.runtime) runtime.add(r);
    }
    d = { digest: sha256(parts.join('')), env, runtime };
    depShares.set(key, d);
    memo?.shares.set(key, { share: d, files: read, below: [...outside].map((dep) => `${components.get(dep)![0]}\0${input.kind}\0${input.value}`) });
    return d;
  };

  const resolved: ResolvedTask[] = [];
  const allCommands = new Set<string>();
  try {
    for (const task of tasks) {
      const taskKey = `${task.configuration}\0${JSON.stringify(task.args)}\0${task.dependsOn.join('\0')}`;
      const kept = memo?.tasks.get(task.id);
      if (kept?.key === taskKey) {
        const r = kept.resolved as ResolvedTask;
        for (const c of r.commands) allCommands.add(c);
        resolved.push(r);
        continue;
      }
      const shareKeys: string[] = [];
      const project = projects.get(task.project)!;
      const config = project.targets[task.target]!;
      const inputs = unwrap(resolveTaskInputs(inputsWs, task.project, config.inputs as InputSpec[] | undefined, { transitive: false }));
      const projectFiles: Record<string, string> = {};
      const depInputs = inputs.dependencyInputs;
      const envNames = new Set(inputs.env);
      const commands = new Set(inputs.runtime);
      for (const dep of dependencies[task.project] ?? []) {
        if (!projects.has(dep)) continue;
        for (const di of depInputs) {
          const share = depShare(dep, di);
          shareKeys.push(`${components.get(dep)![0]}\0${di.kind}\0${di.value}`);
          projectFiles[depInputs.length === 1 ? dep : `${dep} (${di.kind === 'named' ? '^' : ''}${di.value})`] = share.digest;
          // A dependency's env values and commands are named in the task's own fingerprint, so `why-miss` names them.
          for (const e of share.env) envNames.add(e);
          for (const r of share.runtime) commands.add(r);
        }
      }
      const sortedCommands = [...commands].sort();
      for (const c of sortedCommands) allCommands.add(c);
      const r: ResolvedTask = {
        task,
        root: project.root,
        target: targetFingerprint(project, config, task.configuration, task.args),
        files: select(inputs.filesets),
        projectFiles,
        envNames: [...envNames].sort(),
        commands: sortedCommands,
        external: externalsOf(task.project, inputs.externalDependencies),
      };
      resolved.push(r);
      memo?.tasks.set(task.id, { key: taskKey, resolved: r, shares: shareKeys });
    }
  } catch (e) {
    if (e instanceof InputsError) return err(e.diagnostics);
    throw e;
  }
  return ok({ tasks: resolved, commands: [...allCommands] });
}

export interface TaskHash {
  readonly hash: Hash;
  readonly fingerprint: Fingerprint;
}

/**
 * The fingerprint and hash of each resolved task, given its files' digests, the env and the
 * output digest of every `{runtime}` command (`runtime`: command → SHA-256 of its output).
 * `memo` (the one `resolveTaskHashInputs` was given): a task resolved from it, naming no env
 * variable nor command, whose dependencies' hashes did not move, keeps its hash.
 */
export function hashTasks(
  resolved: ResolvedTasks,
  data: Pick<TaskHashData, 'digestOf'> & { readonly env: Readonly<Record<string, string | undefined>>; readonly runtime: ReadonlyMap<string, string> },
  memo?: TaskHashMemo,
): Map<TaskId, TaskHash> {
  const out = new Map<TaskId, TaskHash>();
  for (const r of resolved.tasks) {
    const dependencies: Record<string, string> = {};
    for (const d of r.task.dependsOn) dependencies[d] = out.get(d)!.hash;
    const kept = memo?.tasks.get(r.task.id);
    const of = Object.values(dependencies);
    if (
      kept?.resolved === r &&
      kept.hash &&
      r.envNames.length === 0 &&
      r.commands.length === 0 &&
      kept.hash.of.length === of.length &&
      of.every((h, i) => h === kept.hash!.of[i])
    ) {
      out.set(r.task.id, kept.hash.value as TaskHash);
      continue;
    }
    const runtime: Record<string, string> = {};
    for (const c of r.commands) runtime[c] = data.runtime.get(c)!;
    const fingerprint = buildFingerprint({
      task: r.task.id,
      root: r.root,
      target: r.target,
      files: r.files,
      digestOf: data.digestOf,
      dependencies,
      projectFiles: r.projectFiles,
      envNames: r.envNames,
      env: data.env,
      runtime,
      external: r.external,
    });
    const value = { hash: fingerprintDigest(fingerprint), fingerprint };
    out.set(r.task.id, value);
    if (kept?.resolved === r) kept.hash = { of, value };
  }
  return out;
}
