/**
 * Storing a successful task's outputs and log as an entry (a long log captured in `tmp/` is moved in, not copied). The entry is written under `tmp/` and
 * renamed into `entries/` whole, so readers see all of it or nothing, and two processes storing
 * the same hash cannot mix their files (the second rename fails and its copy is dropped).
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { copyFile, lstat, mkdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blobIdOfFile } from '../files/blob-id.js';
import { gitBlobId, sha256, toRepoPath } from '../model/index.js';
import { CACHE_LAYOUT_VERSION, copyName, formatMeta, linkLeadsOut, PACK_NAME, readMeta, type EntryMeta, type ManifestFile } from './entry.js';
import { errorCode } from './errors.js';
import { INLINE_LOG } from './log.js';
import { entriesDir, entryDir, tempName } from './root.js';
import type { OutputStatIndex, StoreRequest } from './types.js';

/** Where an entry is stored, and how an entry in the way is removed. */
export interface StoreTarget {
  readonly workspaceRoot: string;
  /** The cache folder. */
  readonly dir: string;
  /** Files above this size are copied and hashed in chunks, never held in memory whole. */
  readonly largeFile: number;
  remove(hash: string): Promise<void>;
}

/** Stores `req` as the entry of its hash; an entry already there and whole is kept. */
export async function storeEntry(target: StoreTarget, req: StoreRequest, index?: OutputStatIndex): Promise<void> {
  const tmp = tempName(target.dir, req.hash);
  await mkdir(tmp, { recursive: true });
  try {
    const files: ManifestFile[] = [];
    let size = 0;
    for (const path of [...new Set(req.outputs)].sort()) {
      const rp = toRepoPath(path);
      if (rp === undefined || rp === '') continue;
      const src = join(target.workspaceRoot, rp);
      const st = await lstat(src).catch(() => undefined);
      if (!st) continue;
      // Flat: the copy is named by its place in the manifest (no folder per path segment).
      const dest = join(tmp, copyName(files.length));
      if (st.isSymbolicLink()) {
        const link = await readlink(src);
        if (linkLeadsOut(rp, link)) continue; // not an output (the runner has said so)
        files.push({ path: rp, size: 0, mode: 0o777, oid: gitBlobId(Buffer.from(link)), link });
        continue;
      }
      if (!st.isFile()) continue;
      const { oid, stored } = st.size > target.largeFile ? await copyLarge(src, dest) : await copySmall(src, dest, st.mode & 0o777);
      files.push({ path: rp, size: stored.size, mode: st.mode & 0o777, oid, mtimeMs: stored.mtimeMs, ino: stored.ino, dev: stored.dev });
      size += stored.size;
      if (index) index.set(rp, st, oid);
    }
    const log = await placeLog(req.log, join(tmp, 'log'));
    size += log.size;
    const meta = formatMeta({
      layout: CACHE_LAYOUT_VERSION,
      hash: req.hash,
      task: req.task,
      code: 0,
      durationMs: Math.round(req.durationMs),
      createdAt: new Date().toISOString(),
      size,
      log,
      files,
      fingerprint: req.fingerprint,
    });
    await writeFile(join(tmp, 'meta.json'), meta);
    await mkdir(entriesDir(target.dir), { recursive: true });
    await placeEntry(target, tmp, req.hash);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Puts the log where the entry keeps it (`file`, in the entry being written) and says so for
 * meta.json: a short UTF-8 text rides inside meta.json (one file less to read on every hit);
 * a captured file is renamed, never read.
 */
async function placeLog(log: StoreRequest['log'], file: string): Promise<EntryMeta['log']> {
  if (log instanceof Uint8Array) return placeLog({ status: 'memory', bytes: Buffer.from(log), size: log.length, sha256: sha256(log) }, file);
  if (log.status === 'lost') throw new Error(log.reason);
  if (log.status === 'file') {
    await rename(log.path, file);
    return { size: log.size, sha256: log.sha256 };
  }
  const text = log.size <= INLINE_LOG ? log.bytes.toString('utf8') : undefined;
  if (text !== undefined && Buffer.from(text, 'utf8').equals(log.bytes)) return { size: log.size, sha256: log.sha256, text };
  await writeFile(file, log.bytes);
  return { size: log.size, sha256: log.sha256 };
}

/** Copies a file read whole (most outputs are small: one read, one write). */
async function copySmall(src: string, dest: string, mode: number): Promise<{ oid: string; stored: Stats }> {
  const content = await readFile(src);
  await writeFile(dest, content, { mode });
  return { oid: gitBlobId(content), stored: await stat(dest) };
}

/**
 * Copies a large file without holding it in memory (past 2 GiB, it cannot be read whole): the
 * kernel copies it (a reflink where the file system can), then the stored copy is hashed in chunks.
 */
async function copyLarge(src: string, dest: string): Promise<{ oid: string; stored: Stats }> {
  await copyFile(src, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  const stored = await stat(dest);
  const oid = await blobIdOfFile(dest, stored.size);
  // Our own copy in tmp/, which nothing else writes: it only changes size under a failing disk.
  if (oid === undefined) throw Object.assign(new Error(`the copy of ${src} changed while it was read`), { code: 'EIO', path: dest });
  return { oid, stored };
}

/**
 * Renames an entry written in `tmp` into place. An entry already there is kept when whole
 * (another process stored the same hash first: as good as ours) and replaced when not (no
 * meta.json, an older layout: it reads as a miss, and would forever). True when the entry now
 * in place is `tmp`.
 */
export async function placeEntry(target: StoreTarget, tmp: string, hash: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(tmp, entryDir(target.dir, hash));
      return true;
    } catch (e) {
      const code = errorCode(e);
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTDIR') throw e;
      if (attempt > 0 || (await isWhole(target.dir, hash))) return false;
      await target.remove(hash);
    }
  }
}

/**
 * Writes a packed entry received whole and verified (`transfer.ts`): its pack, its log unless
 * meta.json holds it, and `metaText`, then renames it into `entries/`. A few small files, with plain
 * system calls (no round trip through the thread pool for each: this runs on a restore worker, or
 * on the main thread like the restore that follows). `metaStat`: meta.json's stat as written.
 */
export async function placePacked(target: StoreTarget, hash: string, metaText: string, pack: Buffer, log: Buffer | undefined): Promise<{ placed: boolean; metaStat: Stats }> {
  const tmp = tempName(target.dir, hash);
  let placed = false;
  try {
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, PACK_NAME), pack, { flag: 'wx' });
    if (log !== undefined) writeFileSync(join(tmp, 'log'), log, { flag: 'wx' });
    const fd = openSync(join(tmp, 'meta.json'), 'wx');
    let metaStat: Stats;
    try {
      writeFileSync(fd, metaText);
      metaStat = fstatSync(fd);
    } finally {
      closeSync(fd);
    }
    placed = await placeInto(target, tmp, hash);
    return { placed, metaStat };
  } finally {
    if (!placed) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Renames an entry written in `tmp` into `entries/` (see `placeEntry`), with one system call in the usual case. */
export async function placeInto(target: StoreTarget, tmp: string, hash: string): Promise<boolean> {
  try {
    renameSync(tmp, entryDir(target.dir, hash));
    return true;
  } catch (e) {
    const code = errorCode(e);
    // No entries/ yet: the first entry of a new cache folder.
    if (code === 'ENOENT') mkdirSync(entriesDir(target.dir), { recursive: true });
    else if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTDIR') throw e;
    return placeEntry(target, tmp, hash);
  }
}

/** Whether the entry of `hash` restores (its meta.json verifies, in this layout). */
async function isWhole(dir: string, hash: string): Promise<boolean> {
  return (await readMeta(dir, hash).catch(() => undefined))?.status === 'ok';
}
