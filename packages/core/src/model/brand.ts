import type { Result } from './result.js';

declare const brand: unique symbol;
/** A string that has been validated as a `B`; create one only through a parser. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A project's name, as Nx names it. */
export type ProjectName = Brand<string, 'ProjectName'>;
/** `project:target`. */
export type TaskId = Brand<string, 'TaskId'>;
/** A path relative to the workspace root, `/`-separated, never starting with `./` or `/`; `''` is the root itself. */
export type RepoPath = Brand<string, 'RepoPath'>;
/** A lowercase hex digest. */
export type Hash = Brand<string, 'Hash'>;

export const projectName = (s: string): ProjectName => s as ProjectName;
export const hash = (s: string): Hash => s as Hash;

/*
 * Task ids. Both halves of `project:target` may hold `:` (Nx allows it in project names, and a
 * package.json script `build:prod` is a target), so only the workspace can say where `a:b:c` is
 * cut. Every reading of a task id goes through these functions; nothing else splits one.
 */

/** The two halves of a task id. */
export interface TaskIdParts {
  readonly project: ProjectName;
  readonly target: string;
}

export function taskId(project: string, target: string): TaskId {
  return `${project}:${target}` as TaskId;
}

/** Every way to read `id` as `project:target` with neither half empty, the longest project first. */
export function taskIdReadings(id: string): TaskIdParts[] {
  const out: TaskIdParts[] = [];
  for (let at = id.lastIndexOf(':'); at > 0; at = id.lastIndexOf(':', at - 1))
    if (at < id.length - 1) out.push({ project: id.slice(0, at) as ProjectName, target: id.slice(at + 1) });
  return out;
}

/**
 * `id` read without knowing the workspace: cut at its first colon (the target keeps any others).
 * Where the projects are known, `resolveTaskId` reads it right when a project name holds `:` too.
 */
export function parseTaskId(id: string): TaskIdParts | undefined {
  const readings = taskIdReadings(id);
  return readings[readings.length - 1];
}

/** Why a task id does not name one task of the workspace. */
export type TaskIdProblem =
  | { readonly reason: 'not-a-task' }
  /** No reading names a project; `reading` is the first-colon one, to suggest the nearest project for. */
  | { readonly reason: 'unknown-project'; readonly reading: TaskIdParts }
  /** Two or more readings each name a project that has that target. */
  | { readonly reason: 'ambiguous'; readonly readings: readonly TaskIdParts[] };

/**
 * `id` read against the workspace: `targetsOf(project)` gives a project's targets, or undefined
 * when there is no such project. The one reading whose project has its target wins (`my:proj:build`
 * is project `my:proj` when that has `build`; `a:build:prod` is project `a` when that has
 * `build:prod`); when no project has its target, the longest known project does (the missing
 * target is the caller's to report, naming that project's targets).
 */
export function resolveTaskId(id: string, targetsOf: (project: string) => object | undefined): Result<TaskIdParts, TaskIdProblem> {
  const readings = taskIdReadings(id);
  if (readings.length === 0) return { ok: false, error: { reason: 'not-a-task' } };
  const known = readings.filter((r) => targetsOf(r.project) !== undefined);
  if (known.length === 0) return { ok: false, error: { reason: 'unknown-project', reading: readings[readings.length - 1]! } };
  const whole = known.filter((r) => Object.hasOwn(targetsOf(r.project)!, r.target));
  if (whole.length > 1) return { ok: false, error: { reason: 'ambiguous', readings: whole } };
  return { ok: true, value: whole[0] ?? known[0]! };
}

/** The project of a task id whose target is known: `a:build:prod` with target `build:prod` is `a`. */
export function projectOfTask(id: string, target: string): ProjectName | undefined {
  return id.length > target.length + 1 && id.endsWith(`:${target}`) ? (id.slice(0, -target.length - 1) as ProjectName) : undefined;
}
