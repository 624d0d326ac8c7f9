/**
 * `dryRun` (`kiln run --dry-run`): the tasks a run would walk, in order, with each one's hash and
 * whether it would be restored from the cache or run (and why). Nothing runs, no output or cache
 * entry is written.
 */
import { planTasks, type PlanRequest } from './task-plan.js';
import { missReason, type MissReason } from './run-events.js';
import type { TaskId } from '../model/index.js';

export interface DryRunTask {
  readonly id: TaskId;
  readonly hash: string;
  readonly dependsOn: readonly TaskId[];
  readonly action: 'restore' | 'run';
  /** For `run`: why the cache does not have it. */
  readonly reason?: MissReason;
}

export async function dryRun(request: PlanRequest & { readonly skipCache?: boolean }): Promise<{ readonly tasks: readonly DryRunTask[] }> {
  const plan = await planTasks(request);
  const tasks: DryRunTask[] = [];
  for (const t of plan.tasks.values()) {
    const dependsOn = (plan.taskGraph.dependencies[t.id] ?? []) as TaskId[];
    const present = t.cacheable && !request.skipCache && (await plan.cache.readMeta(t.hash).catch(() => ({ status: 'miss' }))).status === 'ok';
    tasks.push(
      present
        ? { id: t.id, hash: t.hash, dependsOn, action: 'restore' }
        : { id: t.id, hash: t.hash, dependsOn, action: 'run', reason: await missReason(plan, t, request.skipCache) },
    );
  }
  return { tasks };
}
