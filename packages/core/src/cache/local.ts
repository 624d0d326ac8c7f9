/**
 * The local cache: a content-addressed store under the workspace (default `.kiln/cache`), laid out
 * as `root.ts` describes. Each job is a file of its own: the entry format (`entry.ts`), storing
 * (`store.ts`), restoring (`restore.ts`), eviction and temp cleaning (`evict.ts`), the last run of
 * each task (`last-run.ts`); this class holds the settings and state they share.
 */
import type { Stats } from 'node:fs';
import { readMeta, readMetaSync, type EntryMeta, type MetaRead } from './entry.js';
import { cleanTemp, evictEntries, removeEntry } from './evict.js';
import { LastRuns, type LastRun } from './last-run.js';
import { Restorer } from './restore.js';
import { entryDir } from './root.js';
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

  async lookup(hash: string): Promise<LookupResult> {
    const m = await this.readMeta(hash);
    return m.status === 'ok' ? { status: 'hit' } : m;
  }

  /** The meta of an entry, verified, with its fingerprint (for `why-miss`), or why it cannot be used. */
  readMeta(hash: string): Promise<MetaRead> {
    return readMeta(this.dir, hash);
  }

  /** The meta of an entry without its fingerprint, with meta.json's stat as it was read (for the run manifest). */
  readMetaSync(hash: string): { status: 'ok'; meta: EntryMeta; stat: Stats } | Exclude<MetaRead, { status: 'ok' }> {
    return readMetaSync(this.dir, hash);
  }

  /** Restores an entry's outputs into the workspace and returns its log; a corrupt entry is removed. */
  async restore(hash: string, index?: OutputStatIndex): Promise<RestoreResult> {
    const r = this.restorer.restore(hash, index);
    if (r.status === 'corrupt') await this.remove(hash);
    return r;
  }

  async store(req: StoreRequest, index?: OutputStatIndex): Promise<StoreResult> {
    await storeEntry(this, req, index);
    return { status: 'stored' };
  }

  /** Removes least-recently-used entries until the store is under its size limit; see `evictEntries`. */
  evict(recent?: ReadonlyMap<string, number>): Promise<number> {
    return evictEntries(this.dir, this.maxSize, recent);
  }

  remove(hash: string): Promise<void> {
    return removeEntry(this.dir, hash);
  }

  /** Removes what killed processes left in `tmp/`. */
  cleanTemp(): Promise<void> {
    return cleanTemp(this.dir);
  }

  lastRun(task: string): Promise<LastRun | undefined> {
    return this.lastRuns.get(task);
  }

  setLastRun(task: string, hash: string, fingerprint: unknown): Promise<void> {
    return this.lastRuns.set(task, hash, fingerprint);
  }
}

/** Where an entry lives (for the run manifest, and tests). */
export function entryPath(cache: LocalCache, hash: string): string {
  return entryDir(cache.dir, hash);
}
