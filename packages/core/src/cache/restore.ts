/**
 * Restoring an entry into the workspace. Nothing is written unless the whole entry verifies: the
 * manifest's checksum, the log's digest, and the size and blob id of every file to be written.
 * Destinations must stay inside the workspace (`destinations.ts`); links are made after every
 * file, so no file is written through one; what another process put in place meanwhile is
 * replaced, never written through (`place.ts`).
 *
 * Restored outputs are hard links to the stored copies by default (`restoreMode: 'link'`, no data
 * written: on a slow file system, the difference between milliseconds and seconds); a stored copy
 * whose size or modification time moved since it was stored is corrupt. Where hard links cannot
 * be made (another file system), restore copies and verifies content. Large files are verified in
 * chunks and copied by the kernel, never held in memory whole.
 *
 * The I/O is synchronous: entries are many small files, and one thread doing plain syscalls beats
 * a round trip through the thread pool for each (restores run before any task process starts, so
 * nothing waits on the event loop meanwhile).
 */
import { chmodSync, closeSync, constants, copyFileSync, existsSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { blobIdOfFileSync } from '../files/blob-id.js';
import { gitBlobId, sha256, toRepoPath } from '../model/index.js';
import { copyName, linkLeadsOut, nestedOutput, PACK_MAX, PACK_NAME, PACKED_LAYOUT, packOffsets, readMetaSync, type EntryMeta, type ManifestFile } from './entry.js';
import { sha256OfFileSync, type EntryLog } from './log.js';
import { Destinations } from './destinations.js';
import { errorCode, isNotFound } from './errors.js';
import { asideName, openNew, placeSymlink, realpathOrUndefined, replaceFile } from './place.js';
import { entryDir } from './root.js';
import type { ReceivedPack } from './transfer.js';
import type { OutputStatIndex, RestoreResult } from './types.js';

/**
 * Whether the workspace already holds `file` at the path whose lstat is `st`: a file of its size
 * whose stat the index recorded with the entry's blob id (kiln wrote or verified it since). Its
 * mode is the caller's to check.
 */
export function holdsOutput(file: ManifestFile, st: Stats | undefined, index: OutputStatIndex): st is Stats {
  return st !== undefined && st.isFile() && st.size === file.size && index.get(file.path, st) === file.oid;
}

/** One output to write, as the checks before any writing left it. */
interface Todo {
  readonly file: ManifestFile;
  /** The stored copy (`copyName` of the file's place in the manifest). */
  readonly src: string;
  readonly dest: string;
  readonly existing: Stats | undefined;
  /** Where its bytes start in the entry's pack (a packed entry's). */
  readonly offset: number;
  content?: Buffer;
  /** A large stored copy, verified, to be copied by the kernel. */
  copyFrom?: string;
  linkFrom?: string;
  linkStat?: Stats;
}

export class Restorer {
  private linksWork = true;
  /** Directories created or found during the current restore. */
  private readonly madeDirs = new Set<string>();
  private readonly destinations: Destinations;

  constructor(
    readonly workspaceRoot: string,
    /** The cache folder. */
    readonly dir: string,
    /** `link`: restore outputs as hard links to the stored copies; `copy`: write copies. */
    readonly restoreMode: 'link' | 'copy',
    /** Files above this size are verified in chunks and copied by the kernel. */
    readonly largeFile: number,
  ) {
    this.destinations = new Destinations(workspaceRoot);
  }

  /**
   * Restores the entry of `hash`. `index` (optional) tells which destinations already hold the
   * right content, so they are not rewritten. `justReceived`: this process has just written the
   * entry from a download and verified every byte as it came (`transfer.ts`), so in link mode its
   * copies are not read and hashed a second time; sizes, paths and destinations are checked as always.
   */
  restore(hash: string, index?: OutputStatIndex, justReceived = false): RestoreResult {
    const m = readMetaSync(this.dir, hash);
    if (m.status !== 'ok') return m;
    // Without `newOnly`, never `existing`.
    return this.restoreMeta(hash, m.meta, m.stat, { index, justReceived }) as RestoreResult;
  }

  /**
   * Restores a packed entry `receive` has just verified and placed, from the manifest and bytes it
   * held in memory: nothing is read back or hashed again, and what is written is exactly what was
   * verified. `newOnly`: where any output already exists, nothing is written and the answer is
   * `existing` (the caller restores it with its stat index instead).
   */
  restoreReceived(hash: string, received: ReceivedPack, index?: OutputStatIndex, newOnly = false): RestoreResult | { readonly status: 'existing' } {
    return this.restoreMeta(hash, received.meta, received.metaStat, { index, justReceived: true, pack: received.pack, newOnly });
  }

  private restoreMeta(
    hash: string,
    meta: EntryMeta,
    metaStat: Stats,
    o: { readonly index?: OutputStatIndex; readonly justReceived: boolean; readonly pack?: Buffer; readonly newOnly?: boolean },
  ): RestoreResult | { readonly status: 'existing' } {
    this.madeDirs.clear(); // only trusted within one restore: tasks may remove directories between runs
    this.destinations.reset();
    const { index } = o;
    const dir = entryDir(this.dir, hash);

    try {
      const log = verifiedLog(meta.log, join(dir, 'log'));
      if (log === undefined) return { status: 'corrupt', reason: 'the terminal log does not match its digest' };
      // The folder verdicts below are worked out before any link is made: no output may lie where one of the entry's own links leads.
      // (A manifest just received was checked for that as it came: `transfer.ts` `unsafeManifest`.)
      const nested = o.pack === undefined ? nestedOutput(meta.files) : undefined;
      if (nested !== undefined) return { status: 'corrupt', reason: `output "${nested}" lies below another output of the entry` };
      const packed = meta.layout === PACKED_LAYOUT;
      const planned = this.plan(meta.files, index, dir, packed, o.newOnly ?? false);
      if ('status' in planned) return planned;
      let verified: RestoreResult | undefined;
      if (o.pack !== undefined) takeFromPack(planned, o.pack);
      else if (packed) {
        const pack = readPack(join(dir, PACK_NAME), meta.files);
        verified = pack === undefined ? { status: 'corrupt', reason: 'its pack is truncated or too long' } : verifyPacked(planned, pack);
      } else verified = this.verify(planned, o.justReceived);
      if (verified !== undefined) return verified;
      // Files first, links last: no file is ever written through a link this restore made.
      for (const links of [false, true])
        for (const t of planned) {
          if ((t.file.link !== undefined) !== links) continue;
          const r = this.write(t, index);
          if (r !== undefined) return r;
        }
      return { status: 'hit', meta, log, restoredFiles: planned.length, metaStat };
    } catch (e) {
      // The entry vanished while we read it (evicted by another process): a plain miss.
      if (isNotFound(e) && !existsSync(join(dir, 'meta.json'))) return { status: 'miss' };
      if (isNotFound(e)) return { status: 'corrupt', reason: `a file of the entry is missing (${(e as Error).message})` };
      throw e;
    }
  }

  /** Checks every destination, then decides per file whether it must be written. */
  private plan(
    files: readonly ManifestFile[],
    index: OutputStatIndex | undefined,
    dir: string,
    packed: boolean,
    newOnly: boolean,
  ): Todo[] | Exclude<RestoreResult, { status: 'hit' }> | { readonly status: 'existing' } {
    const outputs = new Map(files.map((f) => [f.path, f.link]));
    const offsets = packed ? packOffsets(files) : undefined;
    const todo: Todo[] = [];
    for (const [i, file] of files.entries()) {
      const place = this.destinations.of(file.path);
      if (place.kind === 'outside') return { status: 'corrupt', reason: `output path "${file.path}" would leave the workspace` };
      if (place.kind === 'blocked') return { status: 'blocked', reason: `a file stands in the way of the output folder "${place.folder}"` };
      if (place.kind === 'leads-out') return { status: 'blocked', reason: `the output folder "${place.folder}" leads out of the workspace (a symbolic link)` };
      const dest = place.path;
      if (file.link !== undefined && (linkLeadsOut(file.path, file.link) || this.destinations.linkLeadsOut(file.path, outputs)))
        return { status: 'corrupt', reason: `output link "${file.path}" points outside the workspace` };
      // In a missing folder (outputs deleted) nothing needs a look: one stat of the folder was enough.
      const st = place.folderMissing ? undefined : lstatSync(dest, { throwIfNoEntry: false });
      if (newOnly && st !== undefined) return { status: 'existing' };
      // The workspace already holds this output (same stat as when kiln wrote or verified it, with
      // the entry's blob id): nothing is copied from the entry, so its stored copy is not needed
      // now. A damaged stored copy is found when it is needed: the restore that would copy it.
      if (file.link === undefined && index && holdsOutput(file, st, index)) {
        // Its mode may have been changed since (a chmod through a hard link changes the stored copy too).
        if ((st.mode & 0o777) !== file.mode) {
          chmodSync(dest, file.mode);
          index.set(file.path, lstatSync(dest), file.oid);
        }
        continue;
      }
      // A packed entry has no stored copy per file.
      todo.push({ file, src: packed ? '' : join(dir, copyName(i)), dest, existing: st, offset: offsets?.[i] ?? 0 });
    }
    return todo;
  }

  /**
   * Verifies every file to be written before any is written, by content, in both modes: a stored
   * copy rewritten in place with its size and mtime put back looks unchanged to its stat (and a
   * link made to it changes its ctime), so only its digest tells.
   */
  private verify(todo: readonly Todo[], justReceived: boolean): RestoreResult | undefined {
    for (const t of todo) {
      if (t.file.link !== undefined) continue;
      const src = t.src;
      let linkStat: Stats | undefined;
      if (this.restoreMode === 'link') {
        linkStat = statSync(src, { throwIfNoEntry: false });
        if (linkStat === undefined || linkStat.size !== t.file.size) return { status: 'corrupt', reason: `output "${t.file.path}" is missing or truncated in the cache` };
        if (justReceived) {
          t.linkFrom = src;
          t.linkStat = linkStat;
          continue;
        }
      }
      const content = this.verified(t.file, src);
      if (content === undefined) return { status: 'corrupt', reason: `output "${t.file.path}" does not match its digest` };
      if (this.restoreMode === 'link') {
        t.linkFrom = src;
        t.linkStat = linkStat;
      } else if (content === 'large') t.copyFrom = src;
      else t.content = content;
    }
    return undefined;
  }

  /** The content of a stored copy when it matches its size and digest (`large`: it does, and is to be copied, not read), else undefined. */
  private verified(file: ManifestFile, src: string): Buffer | 'large' | undefined {
    if (file.size > this.largeFile) return blobIdOfFileSync(src, file.size) === file.oid ? 'large' : undefined;
    const content = readFileSync(src);
    return content.length === file.size && gitBlobId(content) === file.oid ? content : undefined;
  }

  /** Writes one verified output; a result only when the restore must stop. */
  private write(t: Todo, index: OutputStatIndex | undefined): RestoreResult | undefined {
    const parent = dirname(t.dest);
    if (!this.madeDirs.has(parent)) {
      try {
        mkdirSync(parent, { recursive: true });
      } catch (e) {
        // A file of the workspace came in the way after the check above: the entry is fine, the task runs.
        const code = errorCode(e);
        if (code === 'ENOTDIR' || code === 'EEXIST')
          return { status: 'blocked', reason: `a file stands in the way of the output folder "${toRepoPath(relative(this.workspaceRoot, parent)) ?? parent}"` };
        throw e;
      }
      this.madeDirs.add(parent);
    }
    if (t.file.link !== undefined) {
      // The folder's verdict came before any link was made; one made since must not have moved it out.
      const real = realpathOrUndefined(parent);
      if (real === undefined || !this.destinations.insideRoot(real)) return { status: 'corrupt', reason: `output link "${t.file.path}" would be made outside the workspace` };
      if (t.existing) rmSync(t.dest, { force: true, recursive: true });
      placeSymlink(t.file.link, t.dest);
      return undefined;
    }
    if (t.existing && !t.existing.isFile()) rmSync(t.dest, { force: true, recursive: true });
    if (t.linkFrom !== undefined) {
      // A chmod through a restored output reached the stored copy (same inode): set the recorded mode back before linking it again.
      const fixed = t.linkStat !== undefined && (t.linkStat.mode & 0o777) !== t.file.mode;
      if (fixed) chmodSync(t.linkFrom, t.file.mode);
      // Already a hard link to the stored copy (its stat just was not known): nothing to write.
      // (Renaming a link over another link to the same file would do nothing and leave the temporary name behind.)
      if (t.existing?.isFile() && t.linkStat && t.existing.ino === t.linkStat.ino && t.existing.dev === t.linkStat.dev) {
        if (index) index.set(t.file.path, fixed ? lstatSync(t.dest) : t.existing, t.file.oid);
        return undefined;
      }
      if (this.linkInto(t.linkFrom, t.dest, t.existing?.isFile() ?? false)) {
        if (index) index.set(t.file.path, lstatSync(t.dest), t.file.oid);
        return undefined;
      }
      // No hard links here (another file system?): copy, verified by content.
      const content = this.verified(t.file, t.linkFrom);
      if (content === undefined) return { status: 'corrupt', reason: `output "${t.file.path}" does not match its digest` };
      if (content === 'large') t.copyFrom = t.linkFrom;
      else t.content = content;
    }
    if (t.copyFrom !== undefined) {
      // Beside, then renamed over: never written through what is there.
      const aside = asideName(t.dest);
      copyFileSync(t.copyFrom, aside, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      chmodSync(aside, t.file.mode);
      renameSync(aside, t.dest);
      if (index) index.set(t.file.path, lstatSync(t.dest), t.file.oid);
      return undefined;
    }
    // A new file is written in place (if kiln dies half-way, its stat matches nothing and it is
    // restored again); exclusively, so that one another process put there meanwhile (or a link
    // to anywhere) is replaced, never written through.
    const fd = t.existing?.isFile() ? undefined : openNew(t.dest, t.file.mode);
    if (fd === undefined) {
      // Replace, never write through: the old file may be a hard link or open in a reader.
      replaceFile(t.dest, t.content!, t.file.mode);
      // After the rename: it may change the inode's ctime.
      if (index) index.set(t.file.path, lstatSync(t.dest), t.file.oid);
    } else {
      writeFileSync(fd, t.content!);
      const st = fstatSync(fd);
      closeSync(fd);
      if (index) index.set(t.file.path, st, t.file.oid);
    }
    return undefined;
  }

  /** Hard-links `from` at `dest` (over an existing file through a rename); false when links cannot be made. */
  private linkInto(from: string, dest: string, replace: boolean): boolean {
    if (!this.linksWork) return false;
    const target = replace ? asideName(dest) : dest;
    try {
      linkSync(from, target);
      if (replace) {
        renameSync(target, dest);
        // When `dest` already was a link to `from`, rename did nothing and the temporary name is still there.
        rmSync(target, { force: true });
      }
      return true;
    } catch (e) {
      const code = errorCode(e);
      // Another process (a concurrent kiln) put a file there after this restore found none: replace it.
      if (code === 'EEXIST' && !replace) return this.linkInto(from, dest, true);
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK') {
        if (code !== 'EMLINK') this.linksWork = false;
        return false;
      }
      throw e;
    }
  }
}

/**
 * A packed entry's pack, read whole when its size is what the manifest adds up to (a packed entry
 * is small: `PACK_MAX` at most), else undefined.
 */
function readPack(file: string, files: readonly ManifestFile[]): Buffer | undefined {
  const size = files.reduce((sum, f) => sum + (f.link === undefined ? f.size : 0), 0);
  if (size > PACK_MAX) return undefined;
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).size !== size) return undefined;
    const pack = readFileSync(fd);
    return pack.length === size ? pack : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Takes each file to be written from the bytes of a packed entry `receive` has just verified against the same manifest. */
function takeFromPack(todo: readonly Todo[], pack: Buffer): void {
  for (const t of todo) if (t.file.link === undefined) t.content = pack.subarray(t.offset, t.offset + t.file.size);
}

/**
 * Takes each file to be written from a packed entry's bytes, verified by digest against the
 * manifest as read now.
 */
function verifyPacked(todo: readonly Todo[], pack: Buffer): RestoreResult | undefined {
  for (const t of todo) {
    if (t.file.link !== undefined) continue;
    const content = pack.subarray(t.offset, t.offset + t.file.size);
    if (content.length !== t.file.size || gitBlobId(content) !== t.file.oid)
      return { status: 'corrupt', reason: `output "${t.file.path}" does not match its digest` };
    t.content = content;
  }
  return undefined;
}

/** An entry's log, verified against its size and SHA-256 (a long one read in chunks, never whole), or undefined. */
function verifiedLog(log: EntryMeta['log'], file: string): EntryLog | undefined {
  if (log.text !== undefined) {
    const bytes = Buffer.from(log.text, 'utf8');
    return bytes.length === log.size && sha256(bytes) === log.sha256 ? { size: log.size, bytes } : undefined;
  }
  return sha256OfFileSync(file, log.size) === log.sha256 ? { size: log.size, file } : undefined;
}
