/**
 * A fresh clone's shortcut through its commit's run bundle (`remote-cache/bundle-plan.ts`): when
 * HEAD's own bundle carries the plan of a clean run of the same request, and this clone is that
 * commit exactly, with the same env values, root files and kiln, every task's hash is known without
 * reading the workspace. Each entry is then restored as the normal path restores a remote one
 * (local store first, then the bundle, every entry verified), and the run manifest is written, as
 * after any fully cached run. Any doubt hands the normal path the bundle being fetched, so nothing
 * is asked twice: no bundle of HEAD's own or no plan in it, a difference, an entry that does not restore.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
// Each file by itself, not the modules' indexes: the bundle's fetch starts before the rest of the engine is loaded.
import type { RestoreResult } from '../cache/index.js';
import { startRestoreWorkerFor } from '../cache/restore-pool.js';
import { rootFilesDigest, workTreeSnapshot } from '../files/snapshot.js';
import { STATE_FILE } from '../graph-state/store.js';
import { planMismatch } from '../remote-cache/bundle-plan.js';
import { wholeEntries } from '../remote-cache/bundle-fetch.js';
import { openRemoteCache } from '../remote-cache/open.js';
import { remoteCacheSettings } from '../remote-cache/settings.js';
import { engineDigest, writeRunManifest, type ManifestRequest, type ManifestTask, type ManifestTaskRecord, type PendingSnapshot } from '../run-manifest/index.js';
import { headCommitFromFiles } from '../scm/head-file.js';
import { headAndParent } from '../scm/refs.js';
import { trace } from '../trace/index.js';
import { findWorkspaceRoot } from '../workspace/find-root.js';
import { kilnConfig } from './kiln-settings.js';
import { startRunBundle, type RunBundle } from './run-bundle.js';

/** What restoring needs beyond the fetch, loaded while the bundle comes: each file by itself (the modules' indexes load a third more). */
const restoring = () =>
  Promise.all([
    import('../cache/local.js'),
    import('../cache/log.js'),
    import('../cache/root.js'),
    import('../files/stat-cache.js'),
    import('../tasks/kiln-dir.js'),
    import('../tasks/workspace-lock.js'),
  ]);

/** A task the shortcut restored: from the local store, or from the bundle (or the server). */
export interface BundleRunTask extends ManifestTask {
  readonly cache: 'local' | 'remote';
}

/** One task's entry restored, with its record for the run manifest; or why not. */
type TaskRestore = { readonly ok: true; readonly record: ManifestTaskRecord; readonly from: BundleRunTask['cache'] } | { readonly ok: false; readonly reason: string };

/** The shortcut's answer: every task restored, with its log; or why not, with the bundle whose fetch it started, for the normal path. */
export type BundleRun = { readonly ok: true; readonly tasks: readonly BundleRunTask[] } | { readonly ok: false; readonly reason: string; readonly bundle?: RunBundle };

/** Restores every task of `req` through the plan of HEAD's run bundle, when it holds; never throws (any failure is a reason to plan). */
export async function runFromBundle(
  req: ManifestRequest,
  pending: PendingSnapshot | undefined,
  warn: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BundleRun> {
  let bundle: RunBundle | undefined;
  const no = (reason: string): BundleRun => {
    trace(`run bundle's plan not used: ${reason}`);
    return { ok: false, reason, ...(bundle && { bundle }) };
  };
  try {
    const root = findWorkspaceRoot(req.cwd);
    // Only a fresh clone fetches a run bundle (`state-restore.ts`).
    if (root === undefined || existsSync(join(root, STATE_FILE))) return no('not a fresh clone');
    const config = kilnConfig(root);
    const remote = remoteCacheSettings(config.remoteCache, env);
    if (remote.status !== 'on') return no('no remote cache');
    const snapshot = pending?.root === root ? pending.promise : workTreeSnapshot(root);
    const commits = headAndParent(root);
    bundle = startRunBundle(root, req, remote.settings, commits, snapshot, warn, headCommitFromFiles(root));
    if (bundle === undefined) return no('run bundles are off');
    // The request goes out (the socket connects on the next turn of the loop) before the work below holds the thread.
    await new Promise((resolve) => setImmediate(resolve));
    // Once the header tells the bundle's size, the workers it is worth start, overlapping the rest of the fetch and the checks below; the normal path uses the same workers.
    void bundle.ownEntries
      .then((entries) => entries?.atHand)
      .then((bytes) => bytes && startRestoreWorkerFor(root, config.cacheDirectory, { restoreMode: config.restoreMode, atHand: bytes }));
    const modules = restoring();
    modules.catch(() => undefined);
    // Worked out while the bundle's header is on the way (the thread has nothing else to do).
    const engine = engineDigest();
    const roots = rootFilesDigest(root);
    const plan = await bundle.plan;
    if (plan === undefined) return no("HEAD's own bundle is missing or has no plan");
    const [tree, head] = await Promise.all([snapshot, commits.then((cs) => cs?.[0])]);
    if (tree.head !== head || tree.entries.length > 0) return no('the work tree is not HEAD exactly');
    const mismatch = planMismatch(plan, { engine, roots, env });
    if (mismatch !== undefined) return no(mismatch);
    trace("the run bundle's plan holds");
    const [{ entryPath, openLocalCache }, { entryLogBytes }, { entriesDir }, { StatCache }, { ignoreKilnDirectory }, { lockWorkspace }] = await modules;
    // The snapshot was taken before `.kiln` existed (if it did not): it is made now, with its `.gitignore`.
    ignoreKilnDirectory(root);
    const lock = await lockWorkspace(root, { warn });
    try {
      const cache = openLocalCache(root, config.cacheDirectory, { maxSize: config.cacheMaxSize, restoreMode: config.restoreMode });
      await cache.cleanTemp().catch(() => undefined);
      const stats = await StatCache.load(join(root, '.kiln', 'file-digests'));
      const remoteCache = openRemoteCache(cache, config.remoteCache, env, warn, bundle.client);
      // HEAD's own entries as they arrive (the restores start before the bundle ends, where the transport allows), else once it came whole.
      remoteCache?.useBundle((await bundle.ownEntries) ?? wholeEntries(bundle.fetched));
      // A store without an entries folder (a fresh clone's) holds none of them: not asked entry by entry.
      const stored = existsSync(entriesDir(cache.dir));
      const limit = pLimit(32);
      // Each task's bookkeeping as its entry restores (the thread waits on the workers meanwhile): its record, and its last run, for
      // why-miss, without its fingerprint (its entry holds it, and parsing 1,000 of them would cost more than the rest of this).
      const restored = await Promise.all(
        plan.tasks.map(([id, hash]) =>
          limit(async (): Promise<TaskRestore> => {
            const local: RestoreResult = stored ? await cache.restore(hash, stats) : { status: 'miss' };
            const [r, from] = local.status === 'miss' && remoteCache ? [await remoteCache.restore(hash, stats), 'remote' as const] : [local, 'local' as const];
            if (r.status !== 'hit') return { ok: false, reason: `the entry of ${id} did not restore (${r.status})` };
            const entryDir = entryPath(cache, hash);
            await cache.setLastRun(id, hash);
            return {
              ok: true,
              from,
              record: { id, hash, savedMs: r.meta.durationMs, log: entryLogBytes(r.meta.log, entryDir), entryDir, metaStat: r.metaStat, files: r.meta.files },
            };
          }),
        ),
      );
      const done: Extract<TaskRestore, { ok: true }>[] = [];
      for (const r of restored) {
        if (!r.ok) return no(r.reason);
        done.push(r);
      }
      const records = done.map((d) => d.record);
      // Nothing more to restore: the workers end while the bookkeeping below runs.
      cache.stopRestoreWorkers();
      trace(`${records.length} tasks restored through the run bundle's plan`);
      // Both before the run manifest, which vouches for the files they write.
      await stats.save().catch(() => undefined);
      await cache.flushLastRuns().catch(() => undefined);
      const verifiedStat = (path: string, oid: string) => stats.recordedWith(path, oid);
      writeRunManifest(req, { root, cacheDir: cache.dir, snapshot: tree.digest, env: plan.env, tasks: records, verifiedStat }, env);
      return { ok: true, tasks: done.map(({ record: { id, hash, savedMs, log }, from }) => ({ id, hash, savedMs, log, cache: from })) };
    } finally {
      lock.release();
    }
  } catch (e) {
    return no(`it failed (${(e as Error).message})`);
  }
}
