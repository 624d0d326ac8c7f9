/**
 * `ci plan` and `run --shard`: the target's tasks (affected ones with `affected`), weighed by the
 * durations the cache recorded (the local store's, then the remote cache's for tasks the local
 * one never saw: a fresh clone), split by `shard/` into N shards. `shardOf` gives one runner its
 * share, from a plan file the plan job wrote, or (without one) from a plan with uniform weights,
 * which depends only on the commit and base every runner shares.
 */
import { readFileSync } from 'node:fs';
import { diagnostic, KilnError, projectOfTask } from '../model/index.js';
import { remoteDurations } from '../remote-cache/index.js';
import { planShards, readShardPlan, requestedTasks, weighTasks, type PlannedShard, type Shard } from '../shard/index.js';
import { planTasks, type TaskPlan } from './task-plan.js';

export interface CiPlanOptions {
  readonly cwd: string;
  readonly target: string;
  readonly shards: number;
  readonly affected?: boolean;
  readonly base?: string;
  readonly head?: string;
  /** `recorded` (default): weigh tasks by the cache's recorded durations; `uniform`: every task alike (what `run --shard` without a plan file uses). */
  readonly durations?: 'recorded' | 'uniform';
  readonly env?: NodeJS.ProcessEnv;
}

/** One matrix entry: `shard` is `i/N`, ready for `kiln run --shard`. */
export type CiShard = PlannedShard;

export interface CiPlan {
  readonly include: readonly CiShard[];
  readonly totalMs: number;
  /** Tasks with no recorded duration, weighed `fallbackMs` each. */
  readonly untimed: number;
  readonly fallbackMs: number;
  /** Tasks whose duration came from the remote cache. */
  readonly remoteTimed: number;
  /** The remote cache's problems, one line each (it never fails the plan). */
  readonly warnings: readonly string[];
}

export async function ciPlan(options: CiPlanOptions): Promise<CiPlan> {
  const projects = options.affected ? await affectedProjects(options) : undefined;
  const empty = projects !== undefined && projects.length === 0;
  const plan = empty ? undefined : await planTasks({ cwd: options.cwd, targets: [options.target], ...(projects && { projects }) });
  const tasks = plan ? requestedTasks(plan.taskGraph) : [];
  const durations =
    plan && options.durations !== 'uniform'
      ? await recordedDurations(
          plan,
          tasks.map((t) => t.id),
        )
      : new Map<string, number>();
  const warnings: string[] = [];
  let remoteTimed = 0;
  if (plan && options.durations !== 'uniform') {
    const wanted = new Map(tasks.filter((t) => !durations.has(t.id)).map((t) => [t.id, plan.tasks.get(t.id as never)!.hash as string]));
    const remote = await remoteDurations(plan.ws.kiln.remoteCache, options.env ?? process.env, wanted, (w) => warnings.push(w));
    for (const [id, ms] of remote) durations.set(id, ms);
    remoteTimed = remote.size;
  }
  const weighed = weighTasks(tasks, durations, options.durations === 'uniform' ? 1000 : undefined);
  const { shards, totalWeight } = planShards(weighed.tasks, options.shards);
  return {
    include: shards.map((s: Shard) => ({
      shard: s.index,
      shards: options.shards,
      target: options.target,
      tasks: s.tasks,
      estimatedMs: Math.round(s.weight),
      takeAlong: s.takeAlong,
    })),
    totalMs: Math.round(totalWeight),
    untimed: weighed.unknown,
    fallbackMs: weighed.fallbackMs,
    remoteTimed,
    warnings,
  };
}

/** How long each task took when it last ran: from its entry's metadata (this hash, else the last run's). */
async function recordedDurations(plan: TaskPlan, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await Promise.all(
    ids.map(async (id) => {
      const hashes = [plan.tasks.get(id as never)!.hash as string];
      const last = await plan.cache.lastRun(id, { fingerprint: false }).catch(() => undefined);
      if (last && last.hash !== hashes[0]) hashes.push(last.hash);
      for (const hash of hashes) {
        const read = await plan.cache.readMeta(hash).catch(() => undefined);
        if (read?.status === 'ok') {
          out.set(id, read.meta.durationMs);
          return;
        }
      }
    }),
  );
  return out;
}

async function affectedProjects(options: CiPlanOptions): Promise<string[]> {
  const { affected } = await import('./affected.js');
  const r = await affected({ cwd: options.cwd, target: options.target, ...(options.base && { base: options.base }), ...(options.head && { head: options.head }) });
  return r.tasks ? r.tasks.tasks.map((t) => projectOfTask(t, options.target)!) : [...r.projects];
}

export interface ShardRequest extends Omit<CiPlanOptions, 'shards' | 'durations'> {
  readonly index: number;
  readonly count: number;
  /** A plan `kiln ci plan --json` wrote: the shard is taken from it as it is. */
  readonly planFile?: string;
}

/** The projects whose `target` task this shard owns (`kiln run -t TARGET -p <these>` runs the shard). */
export async function shardOf(req: ShardRequest): Promise<{ projects: string[]; shard: CiShard }> {
  const name = `${req.index}/${req.count}`;
  let shard: CiShard | undefined;
  if (req.planFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(req.planFile, 'utf8');
    } catch (e) {
      throw new KilnError(diagnostic('invalid-shard-plan', `cannot read the plan file ${req.planFile}: ${(e as Error).message}`));
    }
    shard = readShardPlan(text, req.planFile, name, req.target);
  } else {
    shard = (await ciPlan({ ...req, shards: req.count, durations: 'uniform' })).include[req.index - 1]!;
  }
  const projects = shard.tasks.map((t) => projectOfTask(t, req.target) ?? t.slice(0, t.length - req.target.length - 1));
  return { projects, shard };
}
