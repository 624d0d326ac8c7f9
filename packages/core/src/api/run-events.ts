/**
 * What `run` tells its caller as it goes (`RunEvents`): the plan as data (for the status line's
 * total, the failure report and `--summarize`), each task's result, and why a task was not
 * restored (for `--verbose` and `--dry-run`), from the diff against its last cached run.
 */
import { diffFingerprints, type Fingerprint, type FingerprintChange } from '../hash/index.js';
import type { TaskId } from '../model/index.js';
import type { CacheStatus, ExecResult, TaskStatus } from '../tasks/index.js';
import type { PlannedTask, TaskPlan } from './task-plan.js';

export type { FingerprintChange } from '../hash/index.js';

export interface TaskResult {
  readonly id: TaskId;
  readonly hash: string;
  readonly status: TaskStatus;
  readonly cache: CacheStatus;
  readonly durationMs: number;
  /** For a cache hit: how long the task took when it ran. */
  readonly savedMs?: number;
  /** For a task whose process failed: its exit code, and the signal that ended it, if one did. */
  readonly exit?: ExecResult;
}

export interface RunEvents {
  /** The tasks of the run, in dependency order, before any is restored or runs. */
  planned?(plan: PlanInfo): void;
  /** Why a task that is about to run was not restored (asked for only when listened to: it reads the task's last run). */
  miss?(id: TaskId, reason: MissReason): void;
  /** A task starts executing (a cache miss). */
  start?(id: TaskId): void;
  /** Terminal output of a task: live while it runs, or replayed from the cache. */
  output?(id: TaskId, chunk: Buffer): void;
  end?(result: TaskResult): void;
  warning?(message: string): void;
}

export interface PlannedTaskInfo {
  readonly id: TaskId;
  readonly hash: string;
  readonly cacheable: boolean;
  readonly dependsOn: readonly TaskId[];
  /** The fingerprint's input files → git blob ids. */
  readonly inputs: Readonly<Record<string, string>>;
}

/** The plan of a run, in dependency order. */
export interface PlanInfo {
  readonly root: string;
  readonly tasks: readonly PlannedTaskInfo[];
}

export function planInfo(plan: TaskPlan): PlanInfo {
  const tasks = [...plan.tasks.values()].map((t) => ({
    id: t.id,
    hash: t.hash,
    cacheable: t.cacheable,
    dependsOn: (plan.taskGraph.dependencies[t.id] ?? []) as TaskId[],
    inputs: t.fingerprint.files,
  }));
  return { root: plan.ws.root, tasks };
}

/** Why a task is not restored from the cache: it is not cacheable, never ran cached here, or these fields of its fingerprint changed since. */
export type MissReason =
  | { readonly kind: 'not-cacheable' }
  | { readonly kind: 'skip-cache' }
  | { readonly kind: 'never-ran' }
  | { readonly kind: 'changed'; readonly changes: readonly FingerprintChange[] }
  /** The same hash ran before, but its entry is gone (evicted, removed, or corrupt). */
  | { readonly kind: 'entry-gone' };

export async function missReason(plan: TaskPlan, t: PlannedTask, skipCache = false): Promise<MissReason> {
  if (!t.cacheable) return { kind: 'not-cacheable' };
  if (skipCache) return { kind: 'skip-cache' };
  const last = await plan.cache.lastRun(t.id).catch(() => undefined);
  if (!last) return { kind: 'never-ran' };
  const changes = diffFingerprints(last.fingerprint as Fingerprint, t.fingerprint);
  return changes.length === 0 ? { kind: 'entry-gone' } : { kind: 'changed', changes };
}

export { traceTo } from '../trace/index.js';

export interface RunResult {
  /** In dependency order. */
  readonly tasks: readonly TaskResult[];
  readonly interrupted: boolean;
  /** Sum of the original run times of the tasks restored from the cache. */
  readonly savedMs: number;
}
