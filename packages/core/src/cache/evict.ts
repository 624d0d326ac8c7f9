/**
 * Housekeeping of the cache folder: least-recently-used eviction under a size limit, removing an
 * entry, and clearing what killed processes left in `tmp/`. Recency is meta.json's access time
 * (every hit reads it; with relatime that is refreshed at most daily, which is enough for LRU).
 * Only what kiln can prove it made is ever removed: well-formed entries (a folder named by a hash,
 * holding a meta.json kiln wrote for that hash) and temporary names of its own.
 */
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { entrySize } from './entry.js';
import { isNotFound } from './errors.js';
import { assertEntryHash, entriesDir, entryDir, isEntryHash, tempName, tempOwner, tmpDir } from './root.js';

/**
 * Removes least-recently-used entries of the cache folder `dir` until it holds at most `maxSize`
 * bytes. Returns how many went. `recent` adds uses the entries' own access times do not show
 * (hash → time in ms): runs answered by a run manifest restore nothing and read no meta.json.
 */
export async function evictEntries(dir: string, maxSize: number, recent?: ReadonlyMap<string, number>): Promise<number> {
  const rows = (await listEntries(dir)).map((r) => ({ ...r, used: Math.max(r.usedMs, recent?.get(r.hash) ?? 0) }));
  let total = rows.reduce((s, r) => s + r.size, 0);
  if (total <= maxSize) return 0;
  rows.sort((a, b) => a.used - b.used || (a.hash < b.hash ? -1 : 1));
  let removed = 0;
  for (const r of rows) {
    if (total <= maxSize) break;
    await removeEntry(dir, r.hash);
    total -= r.size;
    removed++;
  }
  return removed;
}

/** An entry kiln wrote, with its size and times (ms). */
export interface EntryRow {
  readonly hash: string;
  readonly size: number;
  /** When it was stored (meta.json's modification time). */
  readonly storedMs: number;
  /** When it was last used, as far as the file system knows (see above). */
  readonly usedMs: number;
}

/** The well-formed entries of the cache folder `dir`; anything else there is not listed (and so never removed). */
export async function listEntries(dir: string): Promise<EntryRow[]> {
  const listed = await readdir(entriesDir(dir), { withFileTypes: true }).catch(() => []);
  const hashes = listed.filter((d) => d.isDirectory() && isEntryHash(d.name)).map((d) => d.name);
  const rows: EntryRow[] = [];
  await pLimit(32).map(hashes, async (hash) => {
    try {
      const p = join(entryDir(dir, hash), 'meta.json');
      // Reading an entry's meta.json on a hit updates its access time (Linux relatime: at most
      // daily); so does reading it here, hence the stat first.
      const st = await lstat(p);
      const size = st.isFile() ? await entrySize(p, hash) : undefined;
      if (size === undefined) return; // not an entry kiln wrote: never removed
      rows.push({ hash, size, storedMs: st.mtimeMs, usedMs: Math.max(st.atimeMs, st.mtimeMs) });
    } catch {
      // being written or removed by another process
    }
  });
  return rows.sort((a, b) => (a.hash < b.hash ? -1 : 1));
}

/** Removes an entry: renamed aside first, so no reader ever sees it half gone. */
export async function removeEntry(dir: string, hash: string): Promise<void> {
  assertEntryHash(hash);
  const trash = tempName(dir, `trash.${hash}`);
  await mkdir(tmpDir(dir), { recursive: true });
  try {
    await rename(entryDir(dir, hash), trash);
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  await rm(trash, { recursive: true, force: true });
}

/** Removes what killed processes left in `tmp/` (entries half-written by a process that is gone); names kiln does not make are left alone. */
export async function cleanTemp(dir: string): Promise<void> {
  const tmp = tmpDir(dir);
  const names = await readdir(tmp).catch(() => [] as string[]);
  await pLimit(16).map(names, async (name) => {
    const pid = tempOwner(name);
    if (pid === undefined || pid === process.pid || isAlive(pid)) return;
    await rm(join(tmp, name), { recursive: true, force: true });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
