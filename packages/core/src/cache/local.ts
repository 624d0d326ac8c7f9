/**
 * The local cache: a content-addressed store under the workspace (default `.kiln/cache`), laid out
 * as `root.ts` describes, in a folder kiln made and marked as its own (others are refused). Each job is a file of its own: the entry format (`entry.ts`), storing
 * (`store.ts`), restoring (`restore.ts`), eviction and temp cleaning (`evict.ts`), the last run of
 * each task (`last-run.ts`); this class holds the settings and state they share.
 */
import type { Stats } from 'node:fs';
import { readMeta, readMetaSync, type EntryMeta, type MetaRead } from './entry.js';
import { cleanTemp, evictEntries, removeEntry } from './evict.js';
import { LastRuns, type LastRun } from './last-run.js';
import { Restorer } from './restore.js';
import { diagnostic, KilnError } from '../model/index.js';
import { assertEntryHash, checkCacheFolder, entryDir, isEntryHash, markCacheFolder, type CacheFolder } from './root.js';
import { storeEntry } from './store.js';
import type { Cache, LookupResult, OutputStatIndex, RestoreResult, StoreRequest, StoreResult } from './types.js';

export class LocalCache implements Cache {
  readonly kind = 'local';
  /** The cache folder (absolute). */
  readonly dir: string;
  /** `link`: restore outputs as hard links to the stored copies (default); `copy`: write copies. */
  readonly restoreMode: 'link' | 'copy';
  private readonly maxSize: number;
  private readonly restorer: Restorer;
  private readonly lastRuns: LastRuns;
  private folder: CacheFolder | undefined;
  private prepared: Promise<void> | undefined;

  constructor(
    readonly workspaceRoot: string,
    dir: string,
    options: { maxSize?: number; restoreMode?: 'link' | 'copy' } = {},
  ) {
    this.dir = dir;
    this.maxSize = options.maxSize ?? 10 * 1024 ** 3;
    this.restoreMode = options.restoreMode ?? 'link';
    this.restorer = new Restorer(workspaceRoot, dir, this.restoreMode);
    this.lastRuns = new LastRuns(dir);
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

  /** Before anything is written or removed: the folder checked, and made and marked if need be. */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      if (this.checkFolder().status === 'unmarked') await markCacheFolder(this.dir);
    })();
    return this.prepared;
  }

  async lookup(hash: string): Promise<LookupResult> {
    const m = await this.readMeta(hash);
    return m.status === 'ok' ? { status: 'hit' } : m;
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

  /** Restores an entry's outputs into the workspace and returns its log; a corrupt entry is removed. */
  async restore(hash: string, index?: OutputStatIndex): Promise<RestoreResult> {
    this.checkFolder();
    if (!isEntryHash(hash)) return { status: 'miss' };
    const r = this.restorer.restore(hash, index);
    if (r.status === 'corrupt') await this.remove(hash);
    return r;
  }

  async store(req: StoreRequest, index?: OutputStatIndex): Promise<StoreResult> {
    assertEntryHash(req.hash);
    await this.prepare();
    await storeEntry(this, req, index);
    return { status: 'stored' };
  }

  /** Removes least-recently-used entries until the store is under its size limit; see `evictEntries`. */
  async evict(recent?: ReadonlyMap<string, number>): Promise<number> {
    await this.prepare();
    return evictEntries(this.dir, this.maxSize, recent);
  }

  async remove(hash: string): Promise<void> {
    await this.prepare();
    await removeEntry(this.dir, hash);
  }

  /** Removes what killed processes left in `tmp/`. */
  async cleanTemp(): Promise<void> {
    await this.prepare();
    await cleanTemp(this.dir);
  }

  lastRun(task: string): Promise<LastRun | undefined> {
    this.checkFolder();
    return this.lastRuns.get(task);
  }

  async setLastRun(task: string, hash: string, fingerprint: unknown): Promise<void> {
    await this.prepare();
    await this.lastRuns.set(task, hash, fingerprint);
  }
}

/**
 * Opens the local cache in `dir`, checking the folder first: one kiln did not make (the workspace
 * root, a folder holding it, a non-empty folder without kiln's marker) is a configuration error.
 */
export function openLocalCache(workspaceRoot: string, dir: string, options: { maxSize?: number; restoreMode?: 'link' | 'copy' } = {}): LocalCache {
  const cache = new LocalCache(workspaceRoot, dir, options);
  cache.checkFolder();
  return cache;
}

/** Where an entry lives (for the run manifest, and tests). */
export function entryPath(cache: LocalCache, hash: string): string {
  return entryDir(cache.dir, hash);
}
