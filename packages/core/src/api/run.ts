/**
 * `run`: the task runner's wiring. Plans the tasks (task graph, fingerprints, hashes: see
 * `task-plan.ts`), restores every cached task up front, then walks the graph with the scheduler,
 * spawning what is left and storing what succeeds. Presentation (prefixes, progress, summary) is
 * the CLI's; this reports events. A restored task whose dependency fails in the same run keeps
 * its restored outputs (they match its inputs) but is reported as skipped, as Nx would.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskId } from '../model/index.js';
import { toRepoPath } from '../model/index.js';
import { detachOutputs, forEachLimit } from '../cache/index.js';
import { commandsFor, ProcessGroup, schedule, type CacheStatus, type ExecutePermits, type TaskStatus } from '../tasks/index.js';
import { defaultParallel, planTasks, type PlannedTask, type PlanRequest } from './task-plan.js';
import { tracer } from '../trace/index.js';
import { readJsonFile } from '../workspace/index.js';
import { dropRunManifest, manifestUses, writeRunManifest, type ManifestTaskRecord } from '../run-manifest/index.js';
import { entryPath, type EntryMeta } from '../cache/index.js';
import type { Stats } from 'node:fs';

export interface TaskResult {
  readonly id: TaskId;
  readonly hash: string;
  readonly status: TaskStatus;
  readonly cache: CacheStatus;
  readonly durationMs: number;
  /** For a cache hit: how long the task took when it ran. */
  readonly savedMs?: number;
}

export interface RunEvents {
  /** A task starts executing (a cache miss). */
  start?(id: TaskId): void;
  /** Terminal output of a task: live while it runs, or replayed from the cache. */
  output?(id: TaskId, chunk: Buffer): void;
  end?(result: TaskResult): void;
  warning?(message: string): void;
}

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
}

export interface RunResult {
  /** In dependency order. */
  readonly tasks: readonly TaskResult[];
  readonly interrupted: boolean;
  /** Sum of the original run times of the tasks restored from the cache. */
  readonly savedMs: number;
}

/**
 * Runs the requested targets and what they depend on: each task is restored from the cache when
 * its hash is known there (outputs written back, log replayed, no process spawned), otherwise run
 * with at most `parallel` processes at once and, when it succeeds and is cacheable, stored.
 * Failed tasks are never stored; their dependents are skipped.
 */
export async function run(options: RunOptions): Promise<RunResult> {
  const trace = tracer();
  const plan = await planTasks(options);
  const { cache, stats, ws } = plan;
  const events = options.events ?? {};
  const group = new ProcessGroup();
  const onAbort = (): void => void group.killAll();
  options.signal?.addEventListener('abort', onAbort);
  await cache.cleanTemp().catch(() => undefined);
  const results = new Map<TaskId, TaskResult>();
  let stored = 0;
  let finished: TaskResult[] | undefined;

  // Restore every cached task first, many at a time and regardless of dependency order: hashes
  // are known up front, so a hit never waits for its dependencies. Logs are replayed later, in
  // dependency order, as the scheduler reaches each task.
  const hits = new Map<TaskId, Hit>();
  // Entries this run stored (with the log it stored), for the run manifest.
  const storedLogs = new Map<TaskId, Buffer>();
  if (!options.skipCache) {
    const cacheable = [...plan.tasks.values()].filter((t) => t.cacheable);
    await forEachLimit(cacheable, 32, async (t) => {
      if (options.signal?.aborted) return;
      const r = await cache.restore(t.hash, stats);
      if (r.status === 'hit') hits.set(t.id, { log: r.log, savedMs: r.meta.durationMs, meta: r.meta, metaStat: r.metaStat });
      else if (r.status === 'corrupt') events.warning?.(`the cache entry of ${t.id} (${t.hash.slice(0, 12)}) was corrupt: ${r.reason}. It was removed; running the task.`);
      else if (r.status === 'blocked') events.warning?.(`the outputs of ${t.id} could not be restored: ${r.reason}. Running the task.`);
    });
  }

  trace('restored from cache');
  const perform = async (id: TaskId, execute: ExecutePermits) => {
    const t = plan.tasks.get(id)!;
    const hit = hits.get(id);
    if (hit) {
      if (hit.log.length > 0) events.output?.(id, hit.log);
      await cache.setLastRun(id, t.hash, t.fingerprint);
      results.set(id, { id, hash: t.hash, status: 'success', cache: 'local', durationMs: 0, savedMs: hit.savedMs });
      return { status: 'success' as const, cache: 'local' as const, durationMs: 0 };
    }
    const release = await execute.acquire();
    if (release === undefined) return { status: 'skipped' as const, cache: 'miss' as const, durationMs: 0 };
    try {
      events.start?.(id);
      const started = performance.now();
      const chunks: Buffer[] = [];
      const onData = (c: Buffer): void => {
        chunks.push(c);
        events.output?.(id, c);
      };
      // Outputs restored as hard links share their inode with the cache: give them their own first.
      if (t.cacheable) await detachOutputs(ws.root, await expandOutputs(ws.root, t));
      const command = await commandFor(t, ws.root);
      let code: number;
      if ('problem' in command) {
        onData(Buffer.from(`kiln: ${command.problem}${command.hint ? `\n  ${command.hint}` : ''}\n`));
        code = 1;
      } else code = (await group.run(command, onData)).code;
      const durationMs = Math.round(performance.now() - started);
      const ok = code === 0 && !options.signal?.aborted;
      if (ok && t.cacheable) {
        const outputs = await expandOutputs(ws.root, t);
        const log = Buffer.concat(chunks);
        await cache.store({ hash: t.hash, task: id, fingerprint: t.fingerprint, durationMs, outputs, log }, stats);
        await cache.setLastRun(id, t.hash, t.fingerprint);
        storedLogs.set(id, log);
        stored++;
      }
      results.set(id, { id, hash: t.hash, status: ok ? 'success' : 'failure', cache: 'miss', durationMs });
      return { status: ok ? ('success' as const) : ('failure' as const), cache: 'miss' as const, durationMs };
    } finally {
      release();
    }
  };

  try {
    const outcomes = await schedule(
      plan.taskGraph,
      perform,
      { parallel: Math.max(1, options.parallel ?? defaultParallel()), bail: options.bail ?? false, ...(options.signal && { signal: options.signal }) },
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
    await stats.save().catch(() => undefined);
    if (stored > 0) await cache.evict(manifestUses(ws.root)).catch(() => undefined);
    trace('saved the stat cache');
    recordManifest(options, plan, finished, hits, storedLogs);
    trace('manifest');
  }
}

interface Hit {
  readonly log: Buffer;
  readonly savedMs: number;
  readonly meta: EntryMeta;
  readonly metaStat: Stats;
}

/**
 * After a run whose every task succeeded and is cached, writes the run manifest (`run-manifest/`)
 * so the same request can be answered without planning; otherwise removes the request's manifest.
 */
function recordManifest(
  options: RunOptions,
  plan: Awaited<ReturnType<typeof planTasks>>,
  finished: readonly TaskResult[] | undefined,
  hits: ReadonlyMap<TaskId, Hit>,
  storedLogs: ReadonlyMap<TaskId, Buffer>,
): void {
  const { cache, stats, ws } = plan;
  const snapshot = plan.files.snapshot;
  const eligible =
    finished !== undefined &&
    finished.length > 0 &&
    snapshot !== undefined &&
    !options.skipCache &&
    !options.signal?.aborted &&
    (options.env === undefined || options.env === process.env) &&
    process.env.GIT_DIR === undefined &&
    process.env.GIT_WORK_TREE === undefined &&
    process.env.GIT_INDEX_FILE === undefined &&
    finished.every((r) => r.status === 'success' && plan.tasks.get(r.id)!.cacheable && Object.keys(plan.tasks.get(r.id)!.fingerprint.runtime).length === 0);
  try {
    if (!eligible) return dropRunManifest(options, ws.root);
    const env: Record<string, string | null> = {};
    const records: ManifestTaskRecord[] = [];
    for (const r of finished) {
      const t = plan.tasks.get(r.id)!;
      Object.assign(env, t.fingerprint.env);
      const hit = hits.get(r.id);
      let meta: EntryMeta;
      let metaStat: Stats;
      let log: Buffer;
      if (hit) ({ meta, metaStat, log } = hit);
      else {
        const m = cache.readMetaSync(t.hash);
        const stored = storedLogs.get(r.id);
        if (m.status !== 'ok' || stored === undefined) return dropRunManifest(options, ws.root);
        ({ meta, stat: metaStat } = m);
        log = stored;
      }
      records.push({ id: r.id, hash: t.hash, savedMs: meta.durationMs, log, entryDir: entryPath(cache, t.hash), metaStat, files: meta.files });
    }
    const verifiedStat = (path: string, oid: string) => {
      const row = stats.recorded(path);
      return row && row[4] === oid ? row : undefined;
    };
    writeRunManifest(options, { root: ws.root, cacheDir: cache.dir, snapshot: snapshot.digest, env, tasks: records, verifiedStat });
  } catch {
    // The manifest only speeds up the next run; failing to write it changes nothing else.
  }
}

async function commandFor(t: PlannedTask, root: string) {
  const executor = t.config.executor;
  let packageJson;
  if (executor === 'nx:run-script') {
    const file = join(root, t.project.root, 'package.json');
    const pkg = (await readJsonFile(file)) as { name?: string; version?: string; scripts?: Record<string, string> };
    packageJson = { file, scripts: pkg.scripts ?? {}, ...(pkg.name !== undefined && { name: pkg.name }), ...(pkg.version !== undefined && { version: pkg.version }) };
  }
  const options_ = (t.configurationOptions ? { ...t.config.options, ...t.configurationOptions } : t.config.options) ?? {};
  return commandsFor({
    workspaceRoot: root,
    projectRoot: t.project.root,
    target: t.target,
    executor,
    options: options_,
    ...(packageJson && { packageJson }),
    ...(t.args && { args: t.args }),
  });
}

/**
 * The files a task produced, repository-relative: its `outputs` with `{projectRoot}`,
 * `{workspaceRoot}`, `{projectName}` and `{options.x}` filled in; a directory stands for every file
 * and symbolic link below it. Symbolic links (to files or to folders) are outputs themselves, never
 * followed; directories are not outputs (the cache stores what is in them).
 */
export async function expandOutputs(root: string, t: PlannedTask): Promise<string[]> {
  const patterns: string[] = [];
  const negated: string[] = [];
  const opts = { ...(t.config.options ?? {}), ...(t.configurationOptions ?? {}) } as Record<string, unknown>;
  for (const raw of t.config.outputs ?? []) {
    let missing = false;
    let p = raw
      .replace(/\{projectRoot\}/g, t.project.root || '.')
      .replace(/\{workspaceRoot\}\/?/g, '')
      .replace(/\{projectName\}/g, t.project.name)
      .replace(/\{options\.([^}]+)\}/g, (_, key: string) => {
        const v = key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), opts);
        if (v === undefined) missing = true;
        return String(v);
      });
    if (missing) continue; // Nx drops an output whose option is unset
    const neg = p.startsWith('!');
    if (neg) p = p.slice(1);
    const rp = toRepoPath(p);
    if (rp === undefined || rp === '') continue;
    (neg ? negated : patterns).push(rp);
  }
  const globs: string[] = [];
  const dynamic = /[*?[\]{}()!+@]/;
  for (const p of patterns) {
    if (dynamic.test(p)) globs.push(p);
    else {
      // lstat: an output that is a symbolic link to a folder is that link, not what it leads to.
      const st = await lstat(join(root, p)).catch(() => undefined);
      if (st?.isDirectory()) globs.push(`${p}/**`);
      else if (st) globs.push(p);
    }
  }
  if (globs.length === 0) return [];
  const { default: fg } = await import('fast-glob');
  // Not `onlyFiles`: fast-glob takes it as "regular files", which drops symbolic links.
  const found = await fg(globs, { cwd: root, dot: true, onlyFiles: false, objectMode: true, followSymbolicLinks: false, ignore: negated });
  return found
    .filter((e) => !e.dirent.isDirectory())
    .map((e) => e.path)
    .sort();
}
