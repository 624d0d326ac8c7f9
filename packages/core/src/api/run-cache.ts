/**
 * `run`'s dealings with the cache around the scheduler: before it, every cached task restored at
 * once; during it, each successful task stored; after it, the run manifest (`run-manifest/`) that lets the same request skip planning
 * next time, written when every task succeeded and is cached, removed otherwise.
 */
import type { Stats } from 'node:fs';
import pLimit from 'p-limit';
import { entryLogBytes, entryPath, replayLog, type EntryMeta, type LogCapture } from '../cache/index.js';
import type { TaskId } from '../model/index.js';
import type { RemoteCache } from '../remote-cache/index.js';
import { dropRunManifest, MAX_LOG_BYTES, writeRunManifest, type ManifestRequest, type ManifestTaskRecord } from '../run-manifest/index.js';
import { expandOutputs, type TaskStatus } from '../tasks/index.js';
import { trace } from '../trace/index.js';
import type { PlannedTask, TaskPlan } from './task-plan.js';
import type { CacheHit } from '../live/index.js';

export type { CacheHit } from '../live/index.js';

/** Stores a successful task's outputs and log (and queues its upload to the remote cache) and records it as the task's last run; false (said once through `unavailable`) when the cache cannot keep it. */
export async function storeSucceeded(plan: TaskPlan, t: PlannedTask, durationMs: number, log: LogCapture, warn: (m: string) => void, unavailable: (reason: string) => void, remote?: RemoteCache): Promise<boolean> {
  const outputs = await expandOutputs(plan.ws.root, t, warn);
  const kept = await plan.cache.store({ hash: t.hash, task: t.id, fingerprint: t.fingerprint, durationMs, outputs, log: log.finish() }, plan.stats);
  if (kept.status !== 'stored') {
    unavailable(kept.reason);
    return false;
  }
  remote?.upload(t.hash);
  await plan.cache.setLastRun(t.id, t.hash, t.fingerprint);
  return true;
}

/**
 * Restores every cacheable task whose entry is there, many at a time and regardless of
 * dependency order: hashes are known up front, so a hit never waits for its dependencies. Logs
 * are replayed later, in dependency order. Entries restored ahead (`cache/ahead.ts`) are put in
 * place; a local miss is asked of the remote cache, if any (its breaker warns of its failures).
 */
export async function restoreCached(
  plan: TaskPlan,
  signal: AbortSignal | undefined,
  warning: (message: string) => void,
  unavailable: (reason: string) => void,
  remote?: RemoteCache,
): Promise<Map<TaskId, CacheHit>> {
  const { cache, stats } = plan;
  const hits = new Map<TaskId, CacheHit>();
  const cacheable = [...plan.tasks.values()].filter((t) => t.cacheable);
  const limit = pLimit(32);
  // Every event of a change made before now is handled first, so a kept entry's proof is current.
  await plan.session?.restored.settle(plan.ws.root);
  await Promise.all(
    cacheable.map((t) =>
      limit(async () => {
        if (signal?.aborted) return;
        const restoredInSession = plan.session?.restored.inPlace(t.hash, plan.ws.root, stats);
        if (restoredInSession) return void hits.set(t.id, restoredInSession);
        const staged = await cache.takeAhead(t.hash, stats, warning);
        let r = staged ?? (await cache.restore(t.hash, stats));
        const fetch = remote !== undefined && r.status === 'miss';
        if (fetch) r = await remote.restore(t.hash, stats);
        const source = staged !== undefined || fetch ? 'remote' : 'local';
        if (r.status === 'hit') {
          hits.set(t.id, { log: r.log, savedMs: r.meta.durationMs, meta: r.meta, metaStat: r.metaStat, source });
          plan.session?.restored.add(t.hash, hits.get(t.id)!, plan.ws.root, entryPath(cache, t.hash), stats);
        } else if (r.status === 'corrupt' && source === 'remote') warning(`remote cache ${remote!.server}: the entry of ${t.id} (${t.hash.slice(0, 12)}) was refused: ${r.reason}. Running the task.`);
        else if (r.status === 'corrupt') warning(`the cache entry of ${t.id} (${t.hash.slice(0, 12)}) was corrupt: ${r.reason}. It was removed; running the task.`);
        else if (r.status === 'blocked') warning(`the outputs of ${t.id} could not be restored: ${r.reason}. Running the task.`);
        else if (r.status === 'unavailable' && r.said !== true) unavailable(r.reason);
      }),
    ),
  );
  const ahead = await cache.endAhead();
  if (ahead) trace(`${ahead.entries} entries of the run bundle restored ahead, ${ahead.moved} of them put in place`);
  return hits;
}

/** Replays a hit's log through `output` in chunks; a log gone meanwhile (another process evicted the entry) is a warning. */
export async function replayHit(hit: CacheHit, output: (chunk: Buffer) => void, warning: (message: string) => void): Promise<void> {
  try {
    await replayLog(hit.log, output);
  } catch (e) {
    warning(`the rest of the cached log could not be replayed (${(e as Error).message})`);
  }
}

/** Says once per run that the cache cannot be used (read or written): the tasks run as usual. */
export function onceUnavailable(warning: (message: string) => void): (reason: string) => void {
  let said = false;
  return (reason) => {
    if (!said) warning(`${reason}. Tasks run as usual.`);
    said = true;
  };
}

export interface FinishedRun {
  readonly plan: TaskPlan;
  /** Every task's outcome in the order reported; undefined when the run did not get that far. */
  readonly finished: readonly { readonly id: TaskId; readonly status: TaskStatus }[] | undefined;
  /** The cache was used, the run was not aborted, and it saw this process's own environment. */
  readonly ordinary: boolean;
  readonly hits: ReadonlyMap<TaskId, CacheHit>;
  /** The tasks whose entries this run stored. */
  readonly stored: ReadonlySet<TaskId>;
}

/** Writes the request's run manifest after a fully successful, fully cached run; otherwise removes it. Never throws. */
export function recordManifest(req: ManifestRequest, run: FinishedRun): void {
  const { plan, finished, hits, stored } = run;
  const { cache, stats, ws } = plan;
  const snapshot = plan.files.snapshot;
  const eligible =
    finished !== undefined &&
    finished.length > 0 &&
    snapshot !== undefined &&
    run.ordinary &&
    process.env.GIT_DIR === undefined &&
    process.env.GIT_WORK_TREE === undefined &&
    process.env.GIT_INDEX_FILE === undefined &&
    finished.every((r) => r.status === 'success' && plan.tasks.get(r.id)!.cacheable && Object.keys(plan.tasks.get(r.id)!.fingerprint.runtime).length === 0);
  try {
    if (!eligible) return dropRunManifest(req, ws.root);
    const env: Record<string, string | null> = {};
    const records: ManifestTaskRecord[] = [];
    let logBytes = 0;
    for (const r of finished) {
      const t = plan.tasks.get(r.id)!;
      Object.assign(env, t.fingerprint.env);
      const hit = hits.get(r.id);
      let meta: EntryMeta;
      let metaStat: Stats;
      if (hit) ({ meta, metaStat } = hit);
      else {
        const m = cache.readMetaSync(t.hash);
        if (m.status !== 'ok' || !stored.has(r.id)) return dropRunManifest(req, ws.root);
        ({ meta, stat: metaStat } = m);
      }
      // The manifest holds the logs it replays: past its limit, the normal path streams them.
      if ((logBytes += meta.log.size) > MAX_LOG_BYTES) return dropRunManifest(req, ws.root);
      const log = entryLogBytes(meta.log, entryPath(cache, t.hash));
      records.push({ id: r.id, hash: t.hash, savedMs: meta.durationMs, log, entryDir: entryPath(cache, t.hash), metaStat, files: meta.files });
    }
    const verifiedStat = (path: string, oid: string) => stats.recordedWith(path, oid);
    writeRunManifest(req, { root: ws.root, cacheDir: cache.dir, snapshot: snapshot.digest, env, tasks: records, verifiedStat });
  } catch {
    // The manifest only speeds up the next run; failing to write it changes nothing else.
  }
}
