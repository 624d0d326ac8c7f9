/**
 * The local cache: a content-addressed store under the workspace (default `.kiln/cache`), laid out
 * as `root.ts` describes, in a folder kiln made and marked as its own (others are refused). Each
 * job is a file of its own: the entry format (`entry.ts`), storing (`store.ts`), restoring
 * (`restore.ts`), eviction and temp cleaning (`evict.ts`), the last run of each task
 * (`last-run.ts`); this class holds the settings and state they share.
 *
 * A cache that cannot be written (its folder is a file, the disk is read-only or full) costs the
 * run its caching, never its result: stores answer `unavailable`, and after the first write that
 * failed for want of room or rights, nothing more is tried.
 */
import type { Stats } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { readMeta, readMetaSync, type EntryMeta, type MetaRead } from './entry.js';
import { RestoreAhead } from './ahead.js';
import { cleanTemp, evictEntries, listEntries, removeEntry, type EntryRow } from './evict.js';
import { LastRuns, type LastRun } from './last-run.js';
import { LogCapture } from './log.js';
import { bodiesBytes, readWhole, recordHit, RestorePool, restoreWorkerData, RestoreWorkerGone, WORKER_BODY_MAX, type RestoreAnswer } from './restore-pool.js';
import { Restorer } from './restore.js';
import { diagnostic, KilnError } from '../model/index.js';
import { errorCode } from './errors.js';
import { assertEntryHash, CACHE_MARKER, cacheFolderName, checkCacheFolder, entryDir, isEntryHash, markCacheFolder, tempName, tmpDir, type CacheFolder } from './root.js';
import { storeEntry } from './store.js';
import { entryStream, receiveEntry, type EntryStream, type ReceiveResult } from './transfer.js';
import type { Cache, LookupResult, OutputStatIndex, RestoreResult, StoreRequest, StoreResult, TakenIn } from './types.js';

export interface CacheOptions {
  /** Bytes the entries may take together before the least recently used go; default 10 GiB. */
  readonly maxSize?: number;
  /** `link` (default): restore outputs as hard links to the stored copies; `copy`: write copies. */
  readonly restoreMode?: 'link' | 'copy';
  /** Files above this size are copied and hashed in chunks; a setting for tests. */
  readonly largeFile?: number;
  /** Restore workers for downloads (0: restore on the calling thread); default `KILN_RESTORE_THREADS`, else by the cores. */
  readonly restoreThreads?: number;
}

export class LocalCache implements Cache {
  readonly kind = 'local';
  /** The cache folder (absolute). */
  readonly dir: string;
  /** `link`: restore outputs as hard links to the stored copies (default); `copy`: write copies. */
  readonly restoreMode: 'link' | 'copy';
  private readonly maxSize: number;
  /** Files above this size are copied and hashed in chunks. */
  readonly largeFile: number;
  private readonly restorer: Restorer;
  private pool: RestorePool | undefined;
  /** A run bundle's entries being restored ahead of the plan (`ahead.ts`), once they arrive. */
  private ahead: Promise<RestoreAhead | undefined> | undefined;
  private readonly restoreThreads: number | undefined;
  private readonly lastRuns: LastRuns;
  private folder: CacheFolder | undefined;
  private marked: Promise<void> | undefined;
  /** Why nothing more is written: a write failed for want of room or rights. */
  private unwritable: string | undefined;

  constructor(
    readonly workspaceRoot: string,
    dir: string,
    options: CacheOptions = {},
  ) {
    this.dir = dir;
    this.maxSize = options.maxSize ?? 10 * 1024 ** 3;
    ({ restoreMode: this.restoreMode, largeFile: this.largeFile } = restoreWorkerData(workspaceRoot, dir, options));
    this.restoreThreads = options.restoreThreads;
    this.restorer = new Restorer(workspaceRoot, dir, this.restoreMode, this.largeFile);
    this.lastRuns = new LastRuns(dir, (hash) => this.readMeta(hash).then((m) => (m.status === 'ok' ? m.meta.fingerprint : undefined)));
  }

  /**
   * Whether kiln may use its folder (`root.ts` says which it may), looked at once. A folder kiln
   * did not make is a configuration error: thrown, before anything is read or written.
   */
  checkFolder(): CacheFolder {
    const folder = (this.folder ??= checkCacheFolder(this.workspaceRoot, this.dir));
    if (folder.status === 'refused') throw new KilnError(diagnostic('invalid-config', folder.reason, { location: { file: 'nx.json' }, hint: folder.hint }));
    return folder;
  }

  /**
   * Runs `write` (anything that writes to or removes from the cache folder, which it makes and
   * marks first if need be), unless the cache cannot be written. Returns why it did not happen:
   * the folder is no folder, an earlier write failed for want of room or rights, or this one
   * failed with a file-system error.
   */
  private async writing(write: () => Promise<void>): Promise<string | undefined> {
    const folder = this.checkFolder();
    if (folder.status === 'unusable') return folder.reason;
    if (this.unwritable !== undefined) return this.unwritable;
    try {
      if (folder.status === 'unmarked') await (this.marked ??= markCacheFolder(this.dir));
      await write();
      return undefined;
    } catch (e) {
      const code = errorCode(e);
      if (code === undefined) throw e;
      const path = (e as NodeJS.ErrnoException).path;
      const inCache = path !== undefined && (path === this.dir || path.startsWith(`${this.dir}/`));
      if (!NO_ROOM_OR_RIGHTS.has(code) || (!inCache && path !== undefined)) return `a result could not be stored (${(e as Error).message})`;
      this.unwritable = `the cache directory "${cacheFolderName(this.workspaceRoot, this.dir)}" cannot be written (${(e as Error).message}): results are not stored`;
      return this.unwritable;
    }
  }

  async lookup(hash: string): Promise<LookupResult> {
    try {
      const m = await this.readMeta(hash);
      return m.status === 'ok' ? { status: 'hit' } : m;
    } catch (e) {
      if (errorCode(e) === undefined) throw e;
      return { status: 'unavailable', reason: (e as Error).message };
    }
  }

  /** The meta of an entry, verified, with its fingerprint (for `why-miss`), or why it cannot be used. */
  async readMeta(hash: string): Promise<MetaRead> {
    this.checkFolder();
    return isEntryHash(hash) ? readMeta(this.dir, hash) : { status: 'miss' };
  }

  /** The meta of an entry without its fingerprint, with meta.json's stat as it was read (for the run manifest). */
  readMetaSync(hash: string): { status: 'ok'; meta: EntryMeta; stat: Stats } | Exclude<MetaRead, { status: 'ok' }> {
    this.checkFolder();
    return isEntryHash(hash) ? readMetaSync(this.dir, hash) : { status: 'miss' };
  }

  /**
   * Restores an entry's outputs into the workspace and returns its log; a corrupt entry is removed.
   * `justReceived`: `receive` has just placed this entry, verified byte by byte (see `Restorer.restore`).
   */
  async restore(hash: string, index?: OutputStatIndex, justReceived = false): Promise<RestoreResult> {
    return this.restoring(hash, () => this.restorer.restore(hash, index, justReceived));
  }

  /** Runs a restore of the entry of `hash`: a file-system error is `unavailable`, a corrupt entry is removed. */
  private async restoring(hash: string, restore: () => RestoreResult): Promise<RestoreResult> {
    const folder = this.checkFolder();
    if (folder.status === 'unusable') return { status: 'unavailable', reason: folder.reason };
    if (!isEntryHash(hash)) return { status: 'miss' };
    let r: RestoreResult;
    try {
      r = restore();
    } catch (e) {
      if (errorCode(e) === undefined) throw e;
      return unrestorable(hash, (e as Error).message);
    }
    if (r.status === 'corrupt') await this.writing(() => removeEntry(this.dir, hash));
    return r;
  }

  /**
   * Takes in the entry of `hash` from a remote's stream and restores it: `receive`, then `restore`,
   * with the manifest and bytes `receive` verified handed over in memory. A body small enough is
   * read whole and both steps run on a restore worker (`restore-pool.ts`), so the calling thread
   * only handles the network meanwhile; `warn` says once that workers failed (entries then restore here).
   */
  async receiveAndRestore(hash: string, body: AsyncIterable<Uint8Array>, accept: () => string | undefined, index?: OutputStatIndex, size?: number, warn?: (m: string) => void): Promise<TakenIn> {
    this.pool ??= this.newPool();
    if (!this.pool.usable || this.checkFolder().status === 'unusable') return this.takeIn(hash, body, accept, index);
    const read = await readWhole(body, size, WORKER_BODY_MAX);
    if ('stream' in read) return this.takeIn(hash, read.stream, accept, index);
    const verdict = accept();
    const a = await this.onWorker(hash, read.whole, verdict);
    if (typeof a === 'string') return { status: 'unavailable', reason: a };
    if (a === undefined) {
      const gone = this.pool.goneNotice();
      if (gone !== undefined) warn?.(`${gone}: entries are restored on the main thread`);
      return this.takeIn(hash, chunksOf(read.chunks), () => verdict, index);
    }
    return this.settle(hash, a, index);
  }

  /** One entry taken in on a restore worker (into `stage` when given): its answer; undefined when the worker died; why, when the cache cannot be written. */
  private async onWorker(hash: string, body: Uint8Array, verdict: string | undefined, stage?: string): Promise<RestoreAnswer | string | undefined> {
    let a: RestoreAnswer | undefined;
    const why = await this.writing(async () => {
      try {
        a = await this.pool!.run(hash, body, verdict, stage);
      } catch (e) {
        if (!(e instanceof RestoreWorkerGone)) throw e;
        return;
      }
      // Taking the entry into the store failed: the same verdict as on this thread (`writing`).
      if (a.status === 'failed' && a.stage === 'receive') throw Object.assign(new Error(a.error.message), a.error);
    });
    return why ?? a;
  }

  /** What a worker's answer for the entry of `hash` comes to: its hit recorded, an entry it only placed restored from the store, a corrupt one removed. */
  private async settle(hash: string, a: RestoreAnswer, index?: OutputStatIndex): Promise<TakenIn> {
    switch (a.status) {
      case 'hit':
        return this.restoring(hash, () => recordHit(this.dir, hash, a as Extract<RestoreAnswer, { status: 'hit' }>, index));
      case 'placed':
      case 'staged': // (from a job restoring ahead only: `takeAhead` moves it; any other, restored from the store)
        return this.restore(hash, index, a.status === 'staged' || a.placed);
      case 'failed':
        if (a.error.code === undefined) throw new Error(a.error.message);
        return unrestorable(hash, a.error.message);
      case 'corrupt':
        await this.writing(() => removeEntry(this.dir, hash));
        return a;
      default:
        return a;
    }
  }

  /**
   * Says that the bodies `receiveAndRestore` gets from now on are already in memory (a run bundle
   * fetched whole), `bytes` in all, not arriving over the network: this thread then has little to
   * do while they are restored, so the restore workers grow to one per core (at most 4), all
   * started now; for a small bundle, none (`atHandThreads`). `KILN_RESTORE_THREADS` or
   * `restoreThreads` still decide when set. Call it once, before the first.
   */
  bodiesAtHand(bytes: number): void {
    (this.pool ??= this.newPool()).bodiesAtHand(bytes);
  }

  /** Restores a run bundle's entries (it passed the transport's verdict as a whole) ahead, once they arrive, while the run plans (`ahead.ts`); not without restore workers. */
  restoreAhead(entries: Promise<ReadonlyMap<string, Uint8Array> | undefined>): void {
    const started = entries.then((m) => {
      this.pool ??= this.newPool();
      if (m === undefined || m.size === 0) return undefined;
      this.pool.bodiesAtHand(bodiesBytes(m.values()));
      if (!this.pool.usable || this.checkFolder().status === 'unusable') return undefined;
      return RestoreAhead.start(this.workspaceRoot, this.dir, m, (hash, body, stage) => this.onWorker(hash, body, undefined, stage));
    });
    this.ahead ??= started.catch(() => undefined);
  }

  /** The entry of `hash` restored ahead, in place (its files entered in `index`); undefined when it was not, or was refused (the ordinary path says why). */
  async takeAhead(hash: string, index?: OutputStatIndex, warn?: (m: string) => void): Promise<RestoreResult | undefined> {
    const ahead = await this.ahead;
    if (ahead?.has(hash) !== true) return undefined;
    const a = await ahead.take(hash);
    const gone = a === undefined ? this.pool?.goneNotice() : undefined;
    if (gone !== undefined) warn?.(`${gone}: entries are restored on the main thread`);
    // No answer (its worker died): restored here from the store, if it was taken in.
    const r = a === undefined ? await this.restore(hash, index) : await this.settle(hash, a, index);
    return r.status === 'refused' || r.status === 'stale' || r.status === 'miss' ? undefined : r;
  }

  /** Once every task had its chance at `takeAhead`: removes what the plan did not use; how many entries were restored ahead, and put in place. */
  async endAhead(): Promise<{ readonly entries: number; readonly moved: number } | undefined> {
    const ahead = await this.ahead;
    this.ahead = undefined;
    return ahead?.end().catch(() => undefined);
  }

  /** Stops the restore workers now, once nothing more is to be restored (`RestorePool.stop`). */
  stopRestoreWorkers(): void {
    this.pool?.stop();
  }

  /** The most restore workers `receiveAndRestore` uses now (0: it restores on the calling thread). */
  get restoreWorkers(): number {
    const pool = (this.pool ??= this.newPool());
    return pool.usable ? pool.size : 0;
  }

  private newPool(): RestorePool {
    return new RestorePool(restoreWorkerData(this.workspaceRoot, this.dir, this), this.restoreThreads);
  }

  /** `receive`, then `restore`, on this thread. */
  private async takeIn(hash: string, body: AsyncIterable<Uint8Array>, accept: () => string | undefined, index?: OutputStatIndex): Promise<TakenIn> {
    const got = await this.receive(hash, body, accept);
    if (got.status !== 'received') return got;
    const packed = got.packed;
    if (packed === undefined) return this.restore(hash, index, got.placed);
    // Without `newOnly`, never `existing`.
    return this.restoring(hash, () => this.restorer.restoreReceived(hash, packed, index) as RestoreResult);
  }

  async store(req: StoreRequest, index?: OutputStatIndex): Promise<StoreResult> {
    assertEntryHash(req.hash);
    if (!(req.log instanceof Uint8Array) && req.log.status === 'lost') return { status: 'unavailable', reason: req.log.reason };
    const why = await this.writing(() => storeEntry(this, req, index));
    return why === undefined ? { status: 'stored' } : { status: 'unavailable', reason: why };
  }

  /**
   * A capture for the log of a task about to run (see `LogCapture`): a long log goes to a file in
   * `tmp/` as it arrives. The run discards it unless it stores it.
   */
  async captureLog(): Promise<LogCapture> {
    const why = await this.writing(() => mkdir(tmpDir(this.dir), { recursive: true }).then(() => undefined));
    return new LogCapture(why ?? (() => tempName(this.dir, 'log')));
  }

  /** The entry of `hash` as one stream (`transfer.ts`), for a remote cache to upload; undefined when there is none that verifies. */
  async entryStream(hash: string): Promise<EntryStream | undefined> {
    if (this.checkFolder().status === 'unusable' || !isEntryHash(hash)) return undefined;
    return entryStream(this.dir, hash);
  }

  /**
   * Takes in the entry of `hash` from a remote's stream: verified as it is read, kept only when
   * all of it verified and `accept` (the transport's verdict) agrees (`transfer.ts`). Restore it
   * with `restore` afterwards, like any local entry.
   */
  async receive(hash: string, body: AsyncIterable<Uint8Array>, accept: () => string | undefined): Promise<ReceiveResult | { status: 'unavailable'; reason: string }> {
    assertEntryHash(hash);
    let result: ReceiveResult = { status: 'stale' };
    const why = await this.writing(async () => void (result = await receiveEntry(this, hash, body, accept)));
    return why === undefined ? result : { status: 'unavailable', reason: why };
  }

  /** Removes least-recently-used entries until the store is under its size limit; see `evictEntries`. */
  async evict(recent?: ReadonlyMap<string, number>): Promise<number> {
    let removed = 0;
    await this.writing(async () => void (removed = await evictEntries(this.dir, this.maxSize, recent)));
    return removed;
  }

  async remove(hash: string): Promise<void> {
    await this.writing(() => removeEntry(this.dir, hash));
  }

  /** The entries kiln wrote, with their sizes and times (none when the folder does not exist yet). */
  async entries(): Promise<EntryRow[]> {
    return this.checkFolder().status === 'unusable' ? [] : listEntries(this.dir);
  }

  /** The size limit eviction keeps the folder under (bytes). */
  get sizeLimit(): number {
    return this.maxSize;
  }

  /**
   * `kiln cache clean`: removes every entry kiln wrote, and what killed processes left in `tmp/`;
   * `last/` (what `why-miss` compares against) stays. Only in a folder that carries kiln's marker:
   * any other existing folder is refused, even one laid out like kiln's.
   */
  async clean(): Promise<{ readonly removed: number; readonly bytes: number }> {
    const folder = this.checkFolder();
    if (folder.status === 'unusable') throw new KilnError(diagnostic('invalid-config', folder.reason));
    // Missing or empty: nothing to clean. Anything else unmarked is not kiln's to clean.
    if (folder.status === 'unmarked' && (await readdir(this.dir).catch(() => [])).length === 0) return { removed: 0, bytes: 0 };
    if (folder.status === 'unmarked')
      throw new KilnError(
        diagnostic('invalid-config', `the cache directory "${cacheFolderName(this.workspaceRoot, this.dir)}" has no kiln ${CACHE_MARKER}: kiln cleans only a folder it marked as its own.`, {
          hint: 'Run any cached task once (kiln marks the folder then), or remove the folder yourself.',
        }),
      );
    const rows = await listEntries(this.dir);
    for (const r of rows) await removeEntry(this.dir, r.hash);
    await cleanTemp(this.dir);
    return { removed: rows.length, bytes: rows.reduce((sum, r) => sum + r.size, 0) };
  }

  /** Removes what killed processes left in `tmp/`. */
  async cleanTemp(): Promise<void> {
    await this.writing(() => cleanTemp(this.dir));
  }

  lastRun(task: string, { fingerprint = true }: { readonly fingerprint?: boolean } = {}): Promise<LastRun | undefined> {
    this.checkFolder();
    return this.lastRuns.get(task, fingerprint);
  }

  /** Records the last cached run of a task, written by `flushLastRuns`; bookkeeping for `why-miss`, so a cache that cannot be written just goes without. */
  async setLastRun(task: string, hash: string, fingerprint?: unknown): Promise<void> {
    await this.writing(() => this.lastRuns.set(task, hash, fingerprint));
  }

  /** Writes the last runs recorded since the last call, all in one file. */
  async flushLastRuns(): Promise<void> {
    await this.writing(() => this.lastRuns.flush());
  }
}

async function* chunksOf(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

function unrestorable(hash: string, message: string): RestoreResult {
  return { status: 'unavailable', reason: `the cache entry ${hash.slice(0, 12)} could not be restored (${message})` };
}

/** Failures that say the cache folder cannot be written at all: no room, or no rights. */
const NO_ROOM_OR_RIGHTS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOTDIR']);

/**
 * Opens the local cache in `dir`, checking the folder first: one kiln did not make (the workspace
 * root, a folder holding it, a non-empty folder without kiln's marker) is a configuration error.
 */
export function openLocalCache(workspaceRoot: string, dir: string, options: CacheOptions = {}): LocalCache {
  const cache = new LocalCache(workspaceRoot, dir, options);
  cache.checkFolder();
  return cache;
}

/** Where an entry lives (for the run manifest, and tests). */
export function entryPath(cache: LocalCache, hash: string): string {
  return entryDir(cache.dir, hash);
}
