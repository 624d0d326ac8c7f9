/**
 * `run`: the task runner's wiring. Plans the tasks (task graph, fingerprints, hashes: see `task-plan.ts`), restores every
 * cached task up front, then walks the graph with the scheduler, spawning what is left and storing what succeeds.
 * Presentation (prefixes, progress, summary) is the CLI's; this reports events. A restored task whose dependency fails
 * in the same run keeps its restored outputs (they match its inputs) but is reported as skipped, as Nx would.
 */
import { availableParallelism } from 'node:os';
import { detachOutputs } from '../cache/index.js';
import type { TaskId } from '../model/index.js';
import { openRemoteCache, wholeEntries } from '../remote-cache/index.js';
import { manifestUses } from '../run-manifest/index.js';
import { expandOutputs, lockWorkspace, ProcessGroup, runTask, schedule, type ExecutePermits, type TaskStatus } from '../tasks/index.js';
import { tracer } from '../trace/index.js';
import { findWorkspaceRoot } from '../workspace/find-root.js';
import { onceUnavailable, recordManifest, replayHit, restoreCached, storeSucceeded, type CacheHit } from './run-cache.js';
import { startPlanGit } from './plan-git.js';
import { offerRunBundle, type RunBundle } from './run-bundle.js';
import { planTasks, type PlanRequest, type TaskPlan, type WorkspaceRead } from './task-plan.js';
import { missReason, planInfo, type RunEvents, type RunResult, type TaskResult } from './run-events.js';

export type { MissReason, PlanInfo, PlannedTaskInfo, RunEvents, RunResult, TaskResult } from './run-events.js';

export interface RunOptions extends PlanRequest {
  /** Tasks executing at once; default the number of cores. */
  readonly parallel?: number;
  /** Stop starting tasks after the first failure. */
  readonly bail?: boolean;
  /** Ignore cached results (results are still stored). */
  readonly skipCache?: boolean;
  /** Abort (Ctrl-C): running process trees are ended, nothing half-written is left. */
  readonly signal?: AbortSignal;
  readonly events?: RunEvents;
  /** The workspace, graph and file digests already held (kiln watch's memory): planned from, not read again. */
  readonly read?: WorkspaceRead;
  /** The run bundle whose fetch `runFromBundle` started (`api/run-from-bundle.ts`), used instead of asking again. */
  readonly bundle?: RunBundle;
}

/**
 * Runs the requested targets and what they depend on: each task is restored from the cache when
 * its hash is known there (outputs written back, log replayed, no process spawned), otherwise run
 * with at most `parallel` processes at once and, when it succeeds and is cacheable, stored.
 * Failed tasks are never stored; their dependents are skipped.
 */
export async function run(options: RunOptions): Promise<RunResult> {
  const trace = tracer();
  const events = options.events ?? {};
  // git is asked now, and a fresh clone fetches the graph state shared for its commit (docs/ci.md) and its run bundle, and
  // starts its restore worker: all while the plan reads the workspace.
  const root = options.read === undefined ? findWorkspaceRoot(options.cwd) : undefined;
  const git = root === undefined ? undefined : startPlanGit(root, options.snapshot);
  const fresh = git && import('./state-restore.js').then((m) => m.startFreshClone(root!, options, options.env ?? process.env, git, (w) => events.warning?.(w)));
  const early = fresh?.then((f) => f?.cache);
  // A plan that fails leaves nothing restored ahead behind it.
  const plan = await planTasks(options, options.read, git && { git, shared: fresh!.then((f) => f?.shared), cache: early }).catch(async (e: unknown) => {
    await early?.then((c) => c?.endAhead()).catch(() => undefined);
    throw e;
  });
  events.planned?.(planInfo(plan));
  const lock = await lockWorkspace(plan.ws.root, { ...(options.signal && { signal: options.signal }), warn: (m) => events.warning?.(m) });
  try {
    return await runPlanned(plan, options, events, trace, (await fresh)?.bundle);
  } finally {
    lock.release();
  }
}

async function runPlanned(plan: TaskPlan, options: RunOptions, events: RunEvents, trace: (label: string) => void, bundle?: RunBundle): Promise<RunResult> {
  const { cache, stats, ws } = plan;
  const group = new ProcessGroup();
  const onAbort = (): void => void group.killAll();
  options.signal?.addEventListener('abort', onAbort);
  await cache.cleanTemp().catch(() => undefined);
  const results = new Map<TaskId, TaskResult>();
  let finished: TaskResult[] | undefined;
  const warn = (m: string): void => events.warning?.(m);
  const unavailable = onceUnavailable(warn);
  const remote = openRemoteCache(cache, ws.kiln.remoteCache, options.env ?? process.env, warn, bundle?.client);
  if (bundle) remote?.useBundle(wholeEntries(bundle.fetched));
  const hits = options.skipCache ? new Map<TaskId, CacheHit>() : await restoreCached(plan, options.signal, warn, unavailable, remote);
  // Tasks whose entries this run stored (for eviction and the run manifest).
  const stored = new Set<TaskId>();
  trace('restored from cache');
  const perform = async (id: TaskId, execute: ExecutePermits) => {
    const t = plan.tasks.get(id)!;
    const hit = hits.get(id);
    if (hit) {
      await replayHit(
        hit,
        (c) => events.output?.(id, c),
        (m) => events.warning?.(`${id}: ${m}`),
      );
      await cache.setLastRun(id, t.hash, t.fingerprint);
      results.set(id, { id, hash: t.hash, status: 'success', cache: hit.source, durationMs: 0, savedMs: hit.savedMs });
      return { status: 'success' as const, cache: hit.source, durationMs: 0 };
    }
    const release = await execute.acquire();
    if (release === undefined) return { status: 'skipped' as const, cache: 'miss' as const, durationMs: 0 };
    // A cacheable task's log is kept as it arrives (a long one in a file of the cache's tmp/), to be stored with its outputs.
    const log = t.cacheable ? await cache.captureLog() : undefined;
    try {
      if (events.miss) events.miss(id, await missReason(plan, t, options.skipCache));
      events.start?.(id);
      const started = performance.now();
      const onData = (c: Buffer): void => {
        log?.write(c);
        events.output?.(id, c);
      };
      // Outputs restored as hard links share their inode with the cache: give them their own first.
      if (t.cacheable) await detachOutputs(ws.root, await expandOutputs(ws.root, t));
      const exit = await runTask(ws.root, t, group, onData);
      const durationMs = Math.round(performance.now() - started);
      const ok = exit.code === 0 && !options.signal?.aborted;
      if (ok && log && (await storeSucceeded(plan, t, durationMs, log, warn, unavailable, remote))) stored.add(id);
      // Ended by Ctrl-C (or finished while the run was being stopped): interrupted, not failed, and never stored.
      const status: TaskStatus = ok ? 'success' : options.signal?.aborted ? 'interrupted' : 'failure';
      results.set(id, { id, hash: t.hash, status, cache: 'miss', durationMs, ...(exit.code !== 0 && { exit }) });
      return { status, cache: 'miss' as const, durationMs };
    } finally {
      log?.discard();
      release();
    }
  };
  try {
    const outcomes = await schedule(
      plan.taskGraph,
      perform,
      { parallel: Math.max(1, options.parallel ?? availableParallelism()), bail: options.bail ?? false, ...(options.signal && { signal: options.signal }) },
      (o) => {
        const r = results.get(o.id) ?? { id: o.id, hash: plan.tasks.get(o.id)!.hash, status: o.status, cache: o.cache, durationMs: o.durationMs };
        results.set(o.id, r);
        events.end?.(r);
      },
    );
    trace('scheduled');
    const tasks = outcomes.map((o) => results.get(o.id)!);
    finished = tasks;
    return { tasks, interrupted: options.signal?.aborted ?? false, savedMs: tasks.reduce((s, t) => s + (t.savedMs ?? 0), 0) };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await group.killAll(0);
    const ordinary = !options.skipCache && !options.signal?.aborted && (options.env === undefined || options.env === process.env);
    if (bundle && remote) await offerRunBundle(bundle, remote, plan, finished, hits, ordinary);
    await Promise.all([stats.save().catch(() => undefined), remote?.flush(), cache.flushLastRuns().catch(() => undefined)]);
    if (stored.size > 0) await cache.evict(manifestUses(ws.root)).catch(() => undefined);
    trace('saved the stat cache');
    recordManifest(options, { plan, finished, ordinary, hits, stored });
    trace('manifest');
  }
}
