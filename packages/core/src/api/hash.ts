/** `taskHash`: a task's hash and the fingerprint it is the digest of. */
import type { Fingerprint } from '../hash/index.js';
import { diagnostic, didYouMean, KilnError, type TaskId } from '../model/index.js';
import { planTasks, type TaskPlan } from './task-plan.js';

/** The project and target parts of `project:target`, or a usage error. */
export function splitTask(spec: string): { project: string; target: string } {
  const at = spec.indexOf(':');
  if (at <= 0 || at === spec.length - 1)
    throw new KilnError(diagnostic('invalid-task', `"${spec}" is not a task.`, { hint: 'Write PROJECT:TARGET, e.g. app:build.' }));
  return { project: spec.slice(0, at), target: spec.slice(at + 1) };
}

export interface TaskHash {
  readonly hash: string;
  /** The fingerprint the hash is the digest of (see `hash/Fingerprint`). */
  readonly inputs: Fingerprint;
}

/** The plan of one task, `PROJECT:TARGET` (also for `why-miss`). */
export async function planOne(cwd: string, spec: string): Promise<{ plan: TaskPlan; id: TaskId }> {
  const { project, target } = splitTask(spec);
  const plan = await planTasks({ cwd, targets: [target], projects: [project] });
  const id = `${project}:${target}` as TaskId;
  if (!plan.tasks.has(id)) throw new KilnError(diagnostic('unknown-task', `No task "${spec}".${didYouMean(spec, plan.tasks.keys())}`));
  return { plan, id };
}

/** A task's hash and the inputs it covers (`kiln hash PROJECT:TARGET`). */
export async function taskHash(cwd: string, spec: string): Promise<TaskHash> {
  const { plan, id } = await planOne(cwd, spec);
  const t = plan.tasks.get(id)!;
  return { hash: t.hash, inputs: t.fingerprint };
}
