/**
 * Task ids as commands take them (`kiln PROJECT:TARGET`, `kiln hash`, `kiln why-miss`), read by
 * `model`'s rules: against the workspace's projects when an id reads more than one way. The CLI
 * loads this on its way to `kiln run`'s fast path, so it imports model's task ids and diagnostics
 * by their files and reads the workspace only when it must.
 */
import { resolveTaskId, taskIdReadings, type TaskIdParts } from '../model/brand.js';
import { diagnostic, KilnError } from '../model/diagnostic.js';

export { projectOfTask, taskIdReadings, type TaskIdParts } from '../model/brand.js';

/**
 * `spec` as a task of `projects` (see `resolveTaskId`); with no such project, its first-colon
 * reading, whose project the task graph then reports with the nearest names. A usage error when
 * `spec` is not a task or names two.
 */
export function taskIn(spec: string, projects: ReadonlyMap<string, { readonly targets: object }>): TaskIdParts {
  const r = resolveTaskId(spec, (p) => projects.get(p)?.targets);
  if (r.ok) return r.value;
  const problem = r.error;
  switch (problem.reason) {
    case 'not-a-task':
      throw notATask(spec);
    case 'unknown-project':
      return problem.reading;
    case 'ambiguous': {
      const readings = problem.readings.map((t) => `project "${t.project}", target "${t.target}"`).join(', or ');
      throw new KilnError(diagnostic('ambiguous-task', `"${spec}" names more than one task: ${readings}.`, { hint: 'Run it as kiln run -t TARGET -p PROJECT, or rename one of the projects.' }));
    }
  }
}

/** Every reading of `spec` as `PROJECT:TARGET`; a usage error when it has none. */
export function taskReadings(spec: string): TaskIdParts[] {
  const readings = taskIdReadings(spec);
  if (readings.length === 0) throw notATask(spec);
  return readings;
}

/** `spec` as a task of the workspace at `cwd`; the workspace is read only when `spec` reads more than one way. */
export async function resolveTask(cwd: string, spec: string): Promise<TaskIdParts> {
  const readings = taskReadings(spec);
  if (readings.length === 1) return readings[0]!;
  const { loadWorkspace } = await import('./load-workspace.js');
  return taskIn(spec, (await loadWorkspace(cwd)).projects);
}

function notATask(spec: string): KilnError {
  return new KilnError(diagnostic('invalid-task', `"${spec}" is not a task.`, { hint: 'Write PROJECT:TARGET, e.g. app:build.' }));
}
