import type { TargetConfiguration, TargetDependencyConfig } from 'nx/src/config/workspace-json-project-json.js';
import micromatch from 'micromatch';
import { diagnostic, didYouMean, err, ok, parseTaskId, resolveTaskId, taskId, type Diagnostic, type Result, type TaskId } from '../model/index.js';

/** What the task graph needs to know about one project: its targets, already merged with `targetDefaults`. */
export interface TaskProject {
  readonly root: string;
  readonly targets: Readonly<Record<string, TargetConfiguration>>;
}

export interface TaskGraphWorkspace {
  readonly projects: Readonly<Record<string, TaskProject>>;
  /** Direct project dependencies (project → projects it depends on). */
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
}

export interface Task {
  readonly id: TaskId;
  readonly project: string;
  readonly target: string;
  /** The configuration the target runs with (its `defaultConfiguration` unless one was asked for). */
  readonly configuration?: string;
}

/** Tasks and the tasks each depends on (must finish first), both sorted by id. */
export interface TaskGraph {
  readonly tasks: Readonly<Record<string, Task>>;
  readonly dependencies: Readonly<Record<string, readonly TaskId[]>>;
  /** The tasks that were asked for (the rest are there because of `dependsOn`). */
  readonly requested: readonly TaskId[];
}

export interface TaskRequest {
  readonly targets: readonly string[];
  /** Projects to run the targets in; undefined means every project that has one of them. */
  readonly projects?: readonly string[];
  readonly configuration?: string;
}

type DependsOn = { target: string; projects?: readonly string[] | 'self' | 'dependencies' };

/** The projects a `dependsOn` entry names, to read `"project:target"` by (see `dependsOnTask`). */
export interface DependsOnContext {
  /** The project whose target the entry belongs to. */
  readonly self: string;
  /** A project's targets, or undefined when there is no such project. */
  readonly targetsOf: (project: string) => object | undefined;
}

/**
 * Every Nx form of a `dependsOn` entry, normalised. Without `context`, `"a:b"` is project `a`,
 * target `b`; with it, a string is read as Nx reads it (`dependsOnTask`).
 */
export function normaliseDependsOn(entry: string | TargetDependencyConfig, context?: DependsOnContext): DependsOn | undefined {
  if (typeof entry === 'string') {
    if (entry.startsWith('^')) return { target: entry.slice(1), projects: 'dependencies' };
    return dependsOnTask(entry, context);
  }
  if (entry === null || typeof entry !== 'object' || typeof entry.target !== 'string') return undefined;
  if (entry.dependencies === true) return { target: entry.target, projects: 'dependencies' };
  const p = (entry as { projects?: unknown }).projects;
  if (p === 'self' || p === '{self}') return { target: entry.target, projects: 'self' };
  if (p === 'dependencies' || p === '{dependencies}') return { target: entry.target, projects: 'dependencies' };
  if (typeof p === 'string') return { target: entry.target, projects: [p] };
  if (Array.isArray(p)) return { target: entry.target, projects: p as string[] };
  return { target: entry.target, projects: 'self' };
}

/**
 * A `dependsOn` string, as Nx reads it: a task of a project (`lib:build`, `my:proj:build`) when
 * one reading names a project that has that target; else a target of the same project, colons and
 * all (`build:prod`); else the longest project it names, or its first-colon reading, whose missing
 * target or project is then reported. A string that names two tasks is not read (undefined).
 */
function dependsOnTask(entry: string, context: DependsOnContext | undefined): DependsOn | undefined {
  if (context === undefined) {
    const parts = parseTaskId(entry);
    return parts ? { target: parts.target, projects: [parts.project] } : { target: entry, projects: 'self' };
  }
  const r = resolveTaskId(entry, context.targetsOf);
  if (!r.ok && r.error.reason === 'ambiguous') return undefined;
  const named = r.ok ? r.value : r.error.reason === 'unknown-project' ? r.error.reading : undefined;
  const selfTargets = context.targetsOf(context.self)!;
  if (named && (!Object.hasOwn(selfTargets, entry) || Object.hasOwn(context.targetsOf(named.project) ?? {}, named.target))) return { target: named.target, projects: [named.project] };
  return { target: entry, projects: 'self' };
}

/**
 * Builds the task graph for the requested targets, following `dependsOn` in every Nx form:
 * `"build"` (same project), `"^build"` (each dependency; a dependency without the target is
 * passed through to its own dependencies, as Nx does), `"proj:target"`, and objects with
 * `target`, `projects`, `dependencies`, `params`. A cycle is an error listing the whole loop.
 */
export function createTaskGraph(ws: TaskGraphWorkspace, request: TaskRequest): Result<TaskGraph, Diagnostic[]> {
  const errors: Diagnostic[] = [];
  const projectNames = Object.keys(ws.projects).sort();
  const allTargets = [...new Set(projectNames.flatMap((p) => Object.keys(ws.projects[p]!.targets)))].sort();
  for (const p of request.projects ?? []) {
    if (!ws.projects[p]) errors.push(diagnostic('unknown-project', `No project named "${p}".${didYouMean(p, projectNames)}`, { hint: 'Run `kiln projects` to list them.' }));
  }
  if (errors.length) return err(errors);

  const tasks = new Map<string, Task>();
  const deps = new Map<string, Set<TaskId>>();
  const requested: { project: string; target: string }[] = [];
  const candidates = request.projects ?? projectNames;
  for (const target of request.targets) {
    const having = candidates.filter((p) => ws.projects[p]!.targets[target] !== undefined);
    if (having.length === 0) {
      const where = request.projects?.length === 1 ? `Project "${request.projects[0]}" has no target` : 'No project has a target';
      const near = request.projects?.length === 1 ? Object.keys(ws.projects[request.projects[0]!]!.targets) : allTargets;
      errors.push(diagnostic('unknown-target', `${where} "${target}".${didYouMean(target, near)}`, { hint: `Targets: ${[...near].sort().join(', ') || '(none)'}.` }));
      continue;
    }
    for (const p of having) requested.push({ project: p, target });
  }
  if (errors.length) return err(errors);

  const add = (project: string, target: string): TaskId => {
    const id = taskId(project, target);
    const seen = tasks.get(id);
    if (seen) {
      if (seen.project !== project)
        errors.push(diagnostic('ambiguous-task', `"${id}" is both project "${seen.project}"'s target "${seen.target}" and project "${project}"'s target "${target}".`, { hint: 'Rename one of the projects or targets.' }));
      return id;
    }
    const config = ws.projects[project]!.targets[target]!;
    const configuration = request.configuration && config.configurations?.[request.configuration] ? request.configuration : config.defaultConfiguration;
    tasks.set(id, { id, project, target, ...(configuration && { configuration }) });
    const mine = new Set<TaskId>();
    deps.set(id, mine);
    for (const raw of config.dependsOn ?? []) {
      const d = normaliseDependsOn(raw, { self: project, targetsOf: (p) => ws.projects[p]?.targets });
      if (!d) {
        errors.push(diagnostic('invalid-depends-on', `Target "${id}" has a dependsOn entry kiln cannot read: ${JSON.stringify(raw)}.`, {
          hint: 'Use "build", "^build", "project:build", or {"target": "build", "projects": [...]|"dependencies": true}.',
        }));
        continue;
      }
      for (const dep of resolveDependsOn(ws, project, d, errors, id)) {
        if (dep.project === project && dep.target === target) continue;
        mine.add(add(dep.project, dep.target));
      }
    }
    return id;
  };
  const requestedIds = requested.map((r) => add(r.project, r.target));
  if (errors.length) return err(errors);

  const ids = [...tasks.keys()].sort();
  const graph: TaskGraph = {
    tasks: Object.fromEntries(ids.map((id) => [id, tasks.get(id)!])),
    dependencies: Object.fromEntries(ids.map((id) => [id, [...deps.get(id)!].sort()])),
    requested: [...new Set(requestedIds)].sort(),
  };
  const cycle = findCycle(graph);
  if (cycle)
    return err([
      diagnostic('task-cycle', `The task graph has a cycle: ${cycle.join(' → ')}.`, { hint: 'Remove one of these dependsOn links to break the loop.' }),
    ]);
  return ok(graph);
}

function targetsMatching(project: TaskProject, target: string): string[] {
  if (!/[*?[\]{}]/.test(target)) return project.targets[target] ? [target] : [];
  return Object.keys(project.targets).filter((t) => micromatch.isMatch(t, target)).sort();
}

function resolveDependsOn(ws: TaskGraphWorkspace, project: string, d: DependsOn, errors: Diagnostic[], from: string): { project: string; target: string }[] {
  const out: { project: string; target: string }[] = [];
  if (d.projects === 'self' || d.projects === undefined) {
    for (const t of targetsMatching(ws.projects[project]!, d.target)) out.push({ project, target: t });
    return out;
  }
  if (d.projects === 'dependencies') {
    // A dependency without the target is passed through: its dependencies are searched instead.
    const seen = new Set<string>([project]);
    const walk = (p: string): void => {
      for (const dep of [...(ws.dependencies[p] ?? [])].sort()) {
        if (seen.has(dep) || !ws.projects[dep]) continue;
        seen.add(dep);
        const ts = targetsMatching(ws.projects[dep]!, d.target);
        if (ts.length) for (const t of ts) out.push({ project: dep, target: t });
        else walk(dep);
      }
    };
    walk(project);
    return out;
  }
  const names = Object.keys(ws.projects).sort();
  for (const pattern of d.projects) {
    const matched = pattern === 'self' || pattern === '{self}' ? [project] : ws.projects[pattern] ? [pattern] : /[*?[\]{}!]/.test(pattern) ? micromatch(names, pattern) : [];
    if (matched.length === 0) {
      errors.push(diagnostic('unknown-project', `Target "${from}" depends on project "${pattern}", which does not exist.${didYouMean(pattern, names)}`));
      continue;
    }
    for (const p of matched) {
      const ts = targetsMatching(ws.projects[p]!, d.target);
      if (ts.length === 0 && matched.length === 1) {
        errors.push(diagnostic('unknown-target', `Target "${from}" depends on "${p}:${d.target}", which does not exist.${didYouMean(d.target, Object.keys(ws.projects[p]!.targets))}`));
      }
      for (const t of ts) out.push({ project: p, target: t });
    }
  }
  return out;
}

/** A loop in the graph as the list of task ids around it (first repeated at the end), or undefined. */
export function findCycle(graph: Pick<TaskGraph, 'dependencies'>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    stack.push(id);
    for (const d of graph.dependencies[id] ?? []) {
      const s = state.get(d);
      if (s === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (s === undefined) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const id of Object.keys(graph.dependencies).sort()) {
    if (state.get(id) === undefined) {
      const c = visit(id);
      if (c) return c;
    }
  }
  return undefined;
}

/** Task ids with every dependency before its dependents; ties in id order. */
export function topologicalOrder(graph: Pick<TaskGraph, 'dependencies'>): TaskId[] {
  const out: TaskId[] = [];
  const done = new Set<string>();
  const visit = (id: string): void => {
    if (done.has(id)) return;
    done.add(id);
    for (const d of graph.dependencies[id] ?? []) visit(d);
    out.push(id as TaskId);
  };
  for (const id of Object.keys(graph.dependencies).sort()) visit(id);
  return out;
}
