import { compileInputs, createFileOwner, resolveTaskInputs, type InputsWorkspace, type InputSpec } from '../inputs/index.js';
import { diagnostic, didYouMean, type Diagnostic } from '../model/index.js';
import { addReason, explainChain, invertEdges, sortedReasons, spreadToDependents, type AffectedProjects } from './closure.js';
import type { ChangedFile, Reason, Touch } from './types.js';

/** The task graph as task-level affected needs it (the shape `tasks/` builds). */
export interface TaskGraphData {
  readonly tasks: Readonly<Record<string, { readonly project: string; readonly target: string }>>;
  /** Task → the tasks it depends on (must finish first, so it consumes their outputs). */
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
}

export interface TaskLevelInput {
  readonly graph: TaskGraphData;
  /** The workspace as input resolution sees it (projects, namedInputs, project dependencies). */
  readonly inputs: InputsWorkspace;
  /** Each project's targets' `inputs` (undefined: the target declares none, Nx's defaults apply). */
  readonly targetInputs: (project: string, target: string) => readonly InputSpec[] | undefined;
  readonly changes: readonly ChangedFile[];
  /** Projects affected at project level; only their tasks can be hit by a file, the rest only through dependencies. */
  readonly candidates: ReadonlySet<string>;
  /**
   * Project-level reasons that hold for every task of the project whatever its inputs: external
   * packages (lockfile), configuration changes. Global reasons go in `global`.
   */
  readonly projectReasons: ReadonlyMap<string, readonly Reason[]>;
  readonly global: readonly Reason[];
}

export interface AffectedTasks {
  /** Affected task ids, sorted. */
  readonly tasks: readonly string[];
  readonly reasons: ReadonlyMap<string, readonly Reason[]>;
  readonly via: ReadonlyMap<string, string>;
  /** Problems resolving a task's inputs (that task was then treated as affected by every change). */
  readonly problems: readonly string[];
}

/**
 * Task level: a task is affected when a changed file is among its resolved inputs (named inputs,
 * `^` dependency inputs, `!` negations, `{workspaceRoot}` filesets), when a project-level reason
 * that no input filter can narrow applies to its project, or when it depends on an affected task
 * (it consumes that task's outputs). A spec file excluded from `production` therefore affects the
 * project's `test` but not its dependents' `build`.
 */
export function affectedTasks(input: TaskLevelInput): AffectedTasks {
  const owner = kept(input.inputs.projects, 'owner', () => createFileOwner(input.inputs.projects));
  const files = [...new Set(input.changes.flatMap((c) => (c.from !== undefined ? [c.from, c.path] : [c.path])))].sort();
  const fileOwners = files.map((f) => [f, owner(f)] as const);
  const reasons = new Map<string, Reason[]>();
  const add = (id: string, r: Reason): void => addReason(reasons, id, r);
  const problems: string[] = [];
  const inputs = prunedToOwners(input.inputs, fileOwners);
  const ids = kept(input.graph.tasks, 'ids', () => Object.keys(input.graph.tasks).sort());
  for (const id of ids) {
    const task = input.graph.tasks[id]!;
    if (input.global.length > 0) {
      for (const g of input.global) add(id, g);
      continue;
    }
    if (!input.candidates.has(task.project)) continue;
    for (const r of input.projectReasons.get(task.project) ?? []) add(id, r);
    const resolved = resolveTaskInputs(inputs, task.project, input.targetInputs(task.project, task.target));
    if (!resolved.ok) {
      problems.push(`${id}: ${resolved.error.map((d) => d.message).join('; ')}`);
      for (const [file, o] of fileOwners) if (o === task.project) add(id, { kind: 'file', file, detail: 'changed; inputs could not be resolved' });
      continue;
    }
    const matcher = compileInputs(resolved.value);
    for (const [file, o] of fileOwners)
      if (matcher.matches(file, o)) add(id, { kind: 'file', file, ...(o !== undefined && o !== task.project && { detail: `changed, an input through ${o}` }) });
  }

  // Closure through task dependencies: a task consumes what the tasks it depends on produce.
  const via = input.global.length > 0 ? new Map<string, string>() : spreadToDependents(reasons, dependentsOf(input.graph.dependencies));
  const sorted = sortedReasons(reasons);
  return { tasks: [...sorted.keys()], reasons: sorted, via, problems };
}

/**
 * What is worked out from one input object (a task graph, a project list), kept with it: `kiln
 * watch`'s judge asks of the same workspace for every save (5,000 projects: tens of ms each).
 * Inputs are never changed in place; a changed workspace comes as new objects.
 */
const derived = new WeakMap<object, Map<string, unknown>>();
function kept<T>(of: object, name: string, make: () => T): T {
  let values = derived.get(of);
  if (values === undefined) derived.set(of, (values = new Map()));
  if (!values.has(name)) values.set(name, make());
  return values.get(name) as T;
}

/** Reverse edges of `dependencies`, kept with it. */
const dependentsOf = (dependencies: Readonly<Record<string, readonly string[]>>): Map<string, string[]> =>
  kept(dependencies, 'dependents', () => invertEdges(Object.entries(dependencies)));

/**
 * The workspace as input resolution needs it to judge the changed files only: a changed file can
 * come into a task through `^` inputs only from a project it transitively depends on, so each
 * project keeps, as its dependencies, just the owners of changed files it reaches. Resolving
 * against this smaller graph gives the same answer for those files, without expanding `^` inputs
 * over thousands of dependencies per task.
 */
function prunedToOwners(ws: InputsWorkspace, fileOwners: readonly (readonly [string, string | undefined])[]): InputsWorkspace {
  const owners = [...new Set(fileOwners.map(([, o]) => o).filter((o): o is string => o !== undefined))].sort();
  const dependents = dependentsOf(ws.dependencies);
  const pruned: Record<string, string[]> = {};
  for (const owner of owners) {
    const seen = new Set<string>([owner]);
    const queue = [owner];
    for (let i = 0; i < queue.length; i++)
      for (const d of dependents.get(queue[i]!) ?? [])
        if (!seen.has(d)) {
          seen.add(d);
          queue.push(d);
          (pruned[d] ??= []).push(owner);
        }
  }
  return { ...ws, dependencies: pruned };
}

/** A project as task level needs it (the workspace reader's `Project` is one). */
export interface TaskLevelProject {
  readonly name: string;
  readonly root: string;
  readonly targets: Readonly<Record<string, { readonly inputs?: readonly unknown[] }>>;
  readonly namedInputs?: Readonly<Record<string, readonly unknown[]>>;
}

/** An error naming the nearest target when no project has `target`. */
export function unknownTarget(target: string, projects: readonly TaskLevelProject[]): Diagnostic | undefined {
  const all = new Set<string>();
  for (const p of projects) for (const t of Object.keys(p.targets)) all.add(t);
  if (all.has(target)) return undefined;
  return diagnostic('unknown-target', `No project has a target named "${target}".${didYouMean(target, all)}`, {
    hint: `Targets in this workspace: ${[...all].sort().join(', ') || '(none)'}.`,
  });
}

export interface TargetTasksInput {
  readonly target: string;
  readonly projects: readonly TaskLevelProject[];
  readonly nxNamedInputs?: Readonly<Record<string, readonly unknown[]>>;
  /** Project → the projects it depends on. */
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
  /** The task graph `kiln run` builds for `target` (so "affected" and "what runs" agree), with the tasks it was asked for. */
  readonly graph: TaskGraphData & { readonly requested: readonly string[] };
  readonly changes: readonly ChangedFile[];
  /** Project level's answer: its projects, the touches behind it and its global reasons. */
  readonly closure: AffectedProjects;
  readonly touches: readonly Touch[];
  readonly global: readonly Reason[];
}

export interface TargetTasks {
  readonly target: string;
  /** Affected `project:target` ids, sorted. */
  readonly tasks: readonly string[];
  readonly reasons: Readonly<Record<string, readonly Reason[]>>;
  readonly chains: Readonly<Record<string, string>>;
  /** Tasks whose inputs could not be resolved (each then affected by every change to its project). */
  readonly problems: readonly string[];
}

/**
 * The affected tasks of `target`: every task of the graph judged by its resolved inputs, plus the
 * project-level reasons no input filter narrows (external packages, configuration changes); then
 * only the tasks of `target` the graph was built for.
 */
export function targetTasks(input: TargetTasksInput): TargetTasks {
  const projectReasons = new Map<string, Reason[]>();
  for (const t of input.touches) {
    const r = t.reason;
    const narrowable = r.kind === 'file' && (r.detail === undefined || r.detail.startsWith('an input'));
    if (!narrowable) addReason(projectReasons, t.project, r);
  }
  const { projects, byName } = kept(input.projects, 'projects', () => {
    const projects: Record<string, { root: string; namedInputs?: Record<string, readonly InputSpec[]> }> = {};
    for (const p of input.projects) projects[p.name] = { root: p.root, ...(p.namedInputs && { namedInputs: p.namedInputs as Record<string, readonly InputSpec[]> }) };
    return { projects, byName: new Map(input.projects.map((p) => [p.name, p])) };
  });
  const result = affectedTasks({
    graph: input.graph,
    inputs: { ...(input.nxNamedInputs && { namedInputs: input.nxNamedInputs as Record<string, readonly InputSpec[]> }), projects, dependencies: input.dependencies },
    targetInputs: (p, t) => byName.get(p)?.targets[t]?.inputs as readonly InputSpec[] | undefined,
    changes: input.changes,
    candidates: new Set(input.closure.projects),
    projectReasons,
    global: input.global,
  });
  // The graph's own ids for what was asked, never an id split by hand: a target may hold a colon (`build:prod`).
  const requested = new Set(input.graph.requested);
  const tasks = result.tasks.filter((id) => requested.has(id));
  const reasons: Record<string, readonly Reason[]> = {};
  const chains: Record<string, string> = {};
  for (const id of tasks) {
    reasons[id] = result.reasons.get(id)!;
    chains[id] = explainChain(result, id);
  }
  return { target: input.target, tasks, reasons, chains, problems: result.problems };
}
