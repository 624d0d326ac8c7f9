import { compileInputs, createFileOwner, resolveTaskInputs, type InputsWorkspace, type InputSpec } from '../inputs/index.js';
import { addReason, invertEdges, sortedReasons, spreadToDependents } from './closure.js';
import type { ChangedFile, Reason } from './types.js';

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
  const owner = createFileOwner(input.inputs.projects);
  const files = [...new Set(input.changes.flatMap((c) => (c.from !== undefined ? [c.from, c.path] : [c.path])))].sort();
  const fileOwners = files.map((f) => [f, owner(f)] as const);
  const reasons = new Map<string, Reason[]>();
  const add = (id: string, r: Reason): void => addReason(reasons, id, r);
  const problems: string[] = [];
  const inputs = prunedToOwners(input.inputs, fileOwners);
  const ids = Object.keys(input.graph.tasks).sort();
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
  const via = input.global.length > 0 ? new Map<string, string>() : spreadToDependents(reasons, invertEdges(Object.entries(input.graph.dependencies)));
  const sorted = sortedReasons(reasons);
  return { tasks: [...sorted.keys()], reasons: sorted, via, problems };
}

/**
 * The workspace as input resolution needs it to judge the changed files only: a changed file can
 * come into a task through `^` inputs only from a project it transitively depends on, so each
 * project keeps, as its dependencies, just the owners of changed files it reaches. Resolving
 * against this smaller graph gives the same answer for those files, without expanding `^` inputs
 * over thousands of dependencies per task.
 */
function prunedToOwners(ws: InputsWorkspace, fileOwners: readonly (readonly [string, string | undefined])[]): InputsWorkspace {
  const owners = [...new Set(fileOwners.map(([, o]) => o).filter((o): o is string => o !== undefined))].sort();
  const dependents = invertEdges(Object.entries(ws.dependencies));
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
