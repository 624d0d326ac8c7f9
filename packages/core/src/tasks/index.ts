/**
 * tasks: the task graph and its execution. `createTaskGraph` (pure) turns requested targets and
 * `dependsOn` into a graph of tasks, with cycles reported as errors; `schedule` walks it in
 * dependency order; `ProcessGroup` and `commandsFor` (edge) run package.json scripts and
 * `nx:run-commands` the way npm and Nx would, without spawning either; `expandOutputs` (edge) lists
 * the files a task produced. `hash-inputs.ts` (edge) gathers what task hashing needs from outside
 * the process: the lockfile, `{runtime}` outputs.
 *
 * Hashing is `hash/`'s business and storing results `cache/`'s; `api/run.ts` wires them together.
 */
export * from './graph.js';
export * from './scheduler.js';
export * from './exec.js';
export * from './runnable.js';
export * from './outputs.js';
export * from './hash-inputs.js';
export * from './kiln-dir.js';
export * from './workspace-lock.js';
