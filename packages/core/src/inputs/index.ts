/**
 * inputs: what a task reads. Resolves Nx `inputs` and `namedInputs` (named sets, `^name`
 * dependency inputs, filesets under `{projectRoot}`/`{workspaceRoot}` with `!` negation, `{env}`,
 * `{runtime}`, `{externalDependencies}`, `{dependentTasksOutputFiles}`) into concrete globs and
 * values, and compiles them into file matchers.
 *
 * Pure: it never lists or reads files. Hashing the files is `hash/`'s business; deciding what a
 * change means for a commit is `affected/`'s.
 *
 * Typical use (task-level affected):
 *   const r = resolveTaskInputs(ws, 'app', target.inputs);      // Result<ResolvedInputs, Diagnostic[]>
 *   const owner = createFileOwner(ws.projects);
 *   isInputOf(r.value, 'libs/a/src/x.ts', owner)                 // true when the file is an input
 */
import type { ResolvedInputs } from './resolve.js';
import { compileInputs, type FileOwner } from './match.js';

export * from './resolve.js';
export * from './match.js';
export { expandEnvNames, hasEnvPatterns } from './env-patterns.js';

/** True when `file` (repository-relative) is one of the task's input files. */
export function isInputOf(inputs: ResolvedInputs, file: string, owner: FileOwner): boolean {
  return compileInputs(inputs).matches(file, owner(file));
}
