/** `kiln cache stats` and `kiln cache clean`: the local cache folder's entries, counted or removed (cache/'s rules: only what kiln made). */
import { relative } from 'node:path';
import { openLocalCache, type LocalCache } from '../cache/index.js';
import { loadWorkspace } from './load-workspace.js';

export interface CacheStats {
  /** The cache folder, workspace-relative. */
  readonly dir: string;
  readonly entries: number;
  readonly bytes: number;
  /** The size limit (nx.json `kiln.cacheMaxSize`). */
  readonly maxBytes: number;
  /** When the oldest and newest entries were stored (ISO 8601), null when there are none. */
  readonly oldest: string | null;
  readonly newest: string | null;
  /** When an entry was last used to restore a task, as far as the file system records it. */
  readonly lastUsed: string | null;
}

export interface CacheCleanResult {
  readonly dir: string;
  readonly removed: number;
  readonly bytes: number;
}

async function openCache(cwd: string): Promise<{ cache: LocalCache; dir: string }> {
  const ws = await loadWorkspace(cwd);
  const { cacheDirectory, cacheMaxSize, restoreMode } = ws.kiln;
  const cache = openLocalCache(ws.root, cacheDirectory, { maxSize: cacheMaxSize, restoreMode });
  return { cache, dir: relative(ws.root, cacheDirectory) };
}

export async function cacheStats(options: { readonly cwd: string }): Promise<CacheStats> {
  const { cache, dir } = await openCache(options.cwd);
  const rows = await cache.entries();
  const time = (pick: (ms: number[]) => number, of: (r: (typeof rows)[number]) => number): string | null => (rows.length === 0 ? null : new Date(pick(rows.map(of))).toISOString());
  return {
    dir,
    entries: rows.length,
    bytes: rows.reduce((sum, r) => sum + r.size, 0),
    maxBytes: cache.sizeLimit,
    oldest: time(
      (ms) => Math.min(...ms),
      (r) => r.storedMs,
    ),
    newest: time(
      (ms) => Math.max(...ms),
      (r) => r.storedMs,
    ),
    lastUsed: time(
      (ms) => Math.max(...ms),
      (r) => r.usedMs,
    ),
  };
}

export async function cleanCache(options: { readonly cwd: string }): Promise<CacheCleanResult> {
  const { cache, dir } = await openCache(options.cwd);
  return { dir, ...(await cache.clean()) };
}
