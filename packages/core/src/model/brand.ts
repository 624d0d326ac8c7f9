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

export function taskId(project: string, target: string): TaskId {
  return `${project}:${target}` as TaskId;
}

/** Splits `project:target` at its last colon-free project prefix (project names never hold `:`; targets may). */
export function parseTaskId(id: string): { project: ProjectName; target: string } | undefined {
  const at = id.indexOf(':');
  if (at <= 0 || at === id.length - 1) return undefined;
  return { project: id.slice(0, at) as ProjectName, target: id.slice(at + 1) };
}
