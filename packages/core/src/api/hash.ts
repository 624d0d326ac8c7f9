/** `taskHash`: a task's hash and the fingerprint it is the digest of. */
import type { Fingerprint } from '../hash/index.js';
import { diagnostic, didYouMean, KilnError, taskId, type TaskId } from '../model/index.js';
import { taskIn, taskReadings } from './task-id.js';
import { planTasks, readForPlan, type TaskPlan } from './task-plan.js';

export interface TaskHash {
  readonly hash: string;
  /** The fingerprint the hash is the digest of (see `hash/Fingerprint`). */
  readonly inputs: Fingerprint;
}

/** The plan of one task, `PROJECT:TARGET` read against the workspace's projects (also for `why-miss`). */
export async function planOne(cwd: string, spec: string): Promise<{ plan: TaskPlan; id: TaskId }> {
  taskReadings(spec);
  const read = await readForPlan({ cwd });
  const { project, target } = taskIn(spec, read.ws.projects);
  const plan = await planTasks({ cwd, targets: [target], projects: [project] }, read);
  const id = taskId(project, target);
  if (!plan.tasks.has(id)) throw new KilnError(diagnostic('unknown-task', `No task "${spec}".${didYouMean(spec, plan.tasks.keys())}`));
  return { plan, id };
}

/** A task's hash and the inputs it covers (`kiln hash PROJECT:TARGET`). */
export async function taskHash(cwd: string, spec: string): Promise<TaskHash> {
  const { plan, id } = await planOne(cwd, spec);
  const t = plan.tasks.get(id)!;
  return { hash: t.hash, inputs: t.fingerprint };
}
