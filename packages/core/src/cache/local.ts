import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, open, readdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { gitBlobId, isWithin, sha256, toRepoPath } from '../model/index.js';

/** Bump when the layout of an entry changes; older entries then read as misses. */
export const CACHE_LAYOUT_VERSION = 2;

/** One output file in an entry: path, size, mode and git blob id of its content. */
export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly mode: number;
  readonly oid: string;
  /** The stored copy's modification time when it was stored: unchanged means unchanged (hard-linked restores check this instead of reading). */
  readonly mtimeMs?: number;
  /** The stored copy's inode and device: a workspace file with both is that very copy (a hard link). */
  readonly ino?: number;
  readonly dev?: number;
  /** Set for a symbolic link: its target (relative, staying inside the workspace). */
  readonly link?: string;
}

/** `meta.json` of an entry: a first line with the SHA-256 of the JSON text that follows, then this as JSON. */
export interface EntryMeta {
  readonly layout: number;
  readonly hash: string;
  readonly task: string;
  readonly code: number;
  readonly durationMs: number;
  readonly createdAt: string;
  readonly size: number;
  /** The terminal log's size and blob id; `text` holds it inline when it is short UTF-8, else it is the `log` file. */
  readonly log: { readonly size: number; readonly oid: string; readonly text?: string };
  readonly files: readonly ManifestFile[];
  /** The task's fingerprint, kept so `why-miss` can compare against it. */
  readonly fingerprint: unknown;
}

export interface StoreRequest {
  readonly hash: string;
  readonly task: string;
  readonly fingerprint: unknown;
  readonly durationMs: number;
  /** Output files, repository-relative (directories already expanded). */
  readonly outputs: readonly string[];
  readonly log: Uint8Array;
}

export type RestoreResult =
  | {
      readonly status: 'hit';
      readonly meta: EntryMeta;
      readonly log: Buffer;
      readonly restoredFiles: number;
      /** meta.json's stat as it was read. */
      readonly metaStat: Stats;
    }
  | { readonly status: 'miss' }
  | { readonly status: 'corrupt'; readonly reason: string }
  /** The entry is whole, but the workspace has a file where one of its output folders must be. */
  | { readonly status: 'blocked'; readonly reason: string };

/** How restore decides a destination file already holds the right content without reading it. */
export interface OutputStatIndex {
  get(path: string, st: Stats): string | undefined;
  set(path: string, st: Stats, oid: string): void;
}

/**
 * The local cache: a content-addressed store under the workspace (default `.kiln/cache`).
 *
 *   entries/<hash>/meta.json   checksum line, then the manifest: outputs (path, size, mode, blob id), log, fingerprint
 *   entries/<hash>/log         the task's terminal output, as it was printed
 *   entries/<hash>/out/<path>  the output files
 *   tmp/                       entries being written, and entries being removed
 *   last/<task>.json           the hash of the last cached run of each task (for `why-miss`)
 *
 * An entry is written under `tmp/` and renamed into `entries/` whole, so readers see all of it or
 * nothing, and two processes storing the same hash cannot mix their files (the second rename fails
 * and its copy is dropped). Removal also renames first. On restore, the manifest's checksum and
 * the size and blob id of every file to be written are checked before anything is written; a
 * mismatch is reported as corrupt and the entry removed. Destinations must stay inside the
 * workspace: absolute paths, `..`, symbolic links leading out (followed as the kernel will, through
 * the entry's own links too) and an output below another output of the entry are refused; links
 * are made after every file, so no file is written through one. A file, link or entry another
 * process put in place meanwhile is replaced (renamed over), never written through.
 * Restored outputs are hard links to the stored copies by default (`restoreMode: 'link'`, no data
 * written: on a slow file system, the difference between milliseconds and seconds); a stored copy
 * whose size or modification time moved since it was stored is corrupt. `detachOutputs` gives a
 * task's outputs their own inodes before it runs, so rewriting them in place never reaches the
 * cache. Where hard links cannot be made (another file system), restore copies and verifies content.
 * Least-recently-used eviction keeps the store under `maxSize` bytes; recency is meta.json's access
 * time (every hit reads it; with relatime that is refreshed at most daily, which is enough for LRU).
 */
export class LocalCache {
  readonly dir: string;
  private readonly maxSize: number;
  private rootReal: string | undefined;
  private lastIndex: Promise<Map<string, string[]>> | undefined;
  /** `link`: restore outputs as hard links to the stored copies (default); `copy`: write copies. */
  readonly restoreMode: 'link' | 'copy';
  private linksWork = true;
  /** Directories created or found during the current restore. */
  private readonly madeDirs = new Set<string>();
  /** Where each output folder (repository-relative) stands, worked out once per restore. */
  private readonly checkedDirs = new Map<string, FolderPlace>();

  constructor(
    readonly workspaceRoot: string,
    dir: string,
    options: { maxSize?: number; restoreMode?: 'link' | 'copy' } = {},
  ) {
    this.dir = dir;
    this.maxSize = options.maxSize ?? 10 * 1024 ** 3;
    this.restoreMode = options.restoreMode ?? 'link';
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
      const code = (e as NodeJS.ErrnoException).code;
      // Another process (a concurrent kiln) put a file there after this restore found none: replace it.
      if (code === 'EEXIST' && !replace) return this.linkInto(from, dest, true);
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK') {
        if (code !== 'EMLINK') this.linksWork = false;
        return false;
      }
      throw e;
    }
  }

  private entryDir(hash: string): string {
    return join(this.dir, 'entries', hash);
  }

  /** The meta of an entry, verified, or why it cannot be used. */
  async readMeta(hash: string): Promise<{ status: 'ok'; meta: EntryMeta } | { status: 'miss' } | { status: 'corrupt'; reason: string }> {
    let text: string;
    try {
      text = await readFile(join(this.entryDir(hash), 'meta.json'), 'utf8');
    } catch (e) {
      if (isNotFound(e)) return { status: 'miss' };
      if ((e as NodeJS.ErrnoException).code === 'EISDIR') return { status: 'corrupt', reason: 'meta.json is not a file' };
      throw e;
    }
    return parseMeta(hash, text);
  }

  /**
   * Restores an entry's outputs into the workspace and returns its log. Nothing is written unless
   * the whole entry verifies. `index` (optional) tells which destinations already hold the right
   * content, so they are not rewritten.
   */
  async restore(hash: string, index?: OutputStatIndex): Promise<RestoreResult> {
    const r = this.restoreSync(hash, index);
    if (r.status === 'corrupt') return this.dropCorrupt(hash, r.reason);
    return r;
  }

  /**
   * The restore itself, with synchronous I/O: entries are many small files, and one thread doing
   * plain syscalls beats a round trip through the thread pool for each (restores run before any
   * task process starts, so nothing waits on the event loop meanwhile).
   */
  private restoreSync(hash: string, index?: OutputStatIndex): RestoreResult {
    this.madeDirs.clear(); // only trusted within one restore: tasks may remove directories between runs
    this.checkedDirs.clear();
    const m = this.readMetaSync(hash);
    if (m.status !== 'ok') return m;
    const meta = m.meta;
    const dir = this.entryDir(hash);
    const outDir = join(dir, 'out') + sep; // stored paths are checked repository paths
    try {
      const log = meta.log.text !== undefined ? Buffer.from(meta.log.text, 'utf8') : readFileSync(join(dir, 'log'));
      if (log.length !== meta.log.size || gitBlobId(log) !== meta.log.oid) return { status: 'corrupt', reason: 'the terminal log does not match its digest' };
      // The folder verdicts below are worked out before any link is made: no output may lie where one of the entry's own links leads.
      const nested = nestedOutput(meta.files);
      if (nested !== undefined) return { status: 'corrupt', reason: `output "${nested}" lies below another output of the entry` };
      const outputs = new Map(meta.files.map((f) => [f.path, f.link]));
      // Check destinations, then decide per file whether it must be written.
      const todo: { file: ManifestFile; dest: string; existing: Stats | undefined; content?: Buffer; linkFrom?: string; linkStat?: Stats }[] = [];
      for (const file of meta.files) {
        const place = this.destination(file.path);
        if (place.kind === 'outside') return { status: 'corrupt', reason: `output path "${file.path}" would leave the workspace` };
        if (place.kind === 'blocked') return { status: 'blocked', reason: `a file stands in the way of the output folder "${dirname(file.path)}"` };
        const dest = place.path;
        if (file.link !== undefined && (file.link.startsWith('/') || toRepoPath(join(dirname(file.path), file.link)) === undefined || this.linkLeadsOut(file.path, outputs)))
          return { status: 'corrupt', reason: `output link "${file.path}" points outside the workspace` };
        // In a missing folder (outputs deleted) nothing needs a look: one stat of the folder was enough.
        const st = place.folderMissing ? undefined : lstatSync(dest, { throwIfNoEntry: false });
        // The workspace already holds this output (same stat as when kiln wrote or verified it, with
        // the entry's blob id): nothing is copied from the entry, so its stored copy is not needed
        // now. A damaged stored copy is found when it is needed: the restore that would copy it.
        if (file.link === undefined && index && st && st.isFile() && st.size === file.size && index.get(file.path, st) === file.oid) {
          // Its mode may have been changed since (a chmod through a hard link changes the stored copy too).
          if ((st.mode & 0o777) !== file.mode) {
            chmodSync(dest, file.mode);
            index.set(file.path, lstatSync(dest), file.oid);
          }
          continue;
        }
        todo.push({ file, dest, existing: st });
      }
      // Verify every file to be written before writing any. A file to be hard-linked is checked by
      // its stat (size and the modification time it was stored with); a file to be copied by content.
      for (const t of todo) {
        if (t.file.link !== undefined) continue;
        const src = outDir + t.file.path;
        let linkStat: Stats | undefined;
        if (this.restoreMode === 'link') {
          linkStat = statSync(src, { throwIfNoEntry: false });
          if (linkStat === undefined || linkStat.size !== t.file.size) return { status: 'corrupt', reason: `output "${t.file.path}" is missing or truncated in the cache` };
          if (linkStat.mtimeMs === t.file.mtimeMs) {
            t.linkFrom = src;
            t.linkStat = linkStat;
            continue;
          }
          // Rewritten since it was stored (through a hard link, by some tool): still good if the bytes are the same.
        }
        const content = readFileSync(src);
        if (content.length !== t.file.size || gitBlobId(content) !== t.file.oid) return { status: 'corrupt', reason: `output "${t.file.path}" does not match its digest` };
        if (this.restoreMode === 'link') {
          t.linkFrom = src;
          t.linkStat = linkStat;
        } else t.content = content;
      }
      // Files first, links last: no file is ever written through a link this restore made.
      const ordered = [...todo.filter((t) => t.file.link === undefined), ...todo.filter((t) => t.file.link !== undefined)];
      for (const t of ordered) {
        const parent = dirname(t.dest);
        if (!this.madeDirs.has(parent)) {
          try {
            mkdirSync(parent, { recursive: true });
          } catch (e) {
            // A file of the workspace came in the way after the check above: the entry is fine, the task runs.
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOTDIR' || code === 'EEXIST') return { status: 'blocked', reason: `a file stands in the way of the output folder "${toRepoPath(relative(this.workspaceRoot, parent)) ?? parent}"` };
            throw e;
          }
          this.madeDirs.add(parent);
        }
        if (t.file.link !== undefined) {
          // The folder's verdict came before any link was made; one made since must not have moved it out.
          const real = realpathOrUndefined(parent);
          if (real === undefined || !this.insideRoot(real)) return { status: 'corrupt', reason: `output link "${t.file.path}" would be made outside the workspace` };
          if (t.existing) rmSync(t.dest, { force: true, recursive: true });
          placeSymlink(t.file.link, t.dest);
          continue;
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
            continue;
          }
          if (this.linkInto(t.linkFrom, t.dest, t.existing?.isFile() ?? false)) {
            if (index) index.set(t.file.path, lstatSync(t.dest), t.file.oid);
            continue;
          }
          // No hard links here (another file system?): copy, verified by content.
          const content = readFileSync(t.linkFrom);
          if (content.length !== t.file.size || gitBlobId(content) !== t.file.oid) return { status: 'corrupt', reason: `output "${t.file.path}" does not match its digest` };
          t.content = content;
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
      }
      return { status: 'hit', meta, log, restoredFiles: todo.length, metaStat: m.stat };
    } catch (e) {
      // The entry vanished while we read it (evicted by another process): a plain miss.
      if (isNotFound(e) && !existsSync(join(dir, 'meta.json'))) return { status: 'miss' };
      if (isNotFound(e)) return { status: 'corrupt', reason: `a file of the entry is missing (${(e as Error).message})` };
      throw e;
    }
  }

  /**
   * Whether the link of the entry at `rp` would lead out of the workspace once the restore made all
   * of the entry's links: its target is followed one name at a time, through the entry's links and
   * the workspace's own, as the kernel will (the lexical check alone takes every name for a folder).
   * Where a workspace link itself leads out, that is the workspace's doing, not the entry's.
   */
  private linkLeadsOut(rp: string, outputs: ReadonlyMap<string, string | undefined>): boolean {
    this.rootReal ??= realpathSync(this.workspaceRoot);
    // From the root: the link's own folders may be links of the workspace too.
    const at: string[] = [];
    // Names still to follow, last first; `own` marks those from a workspace link.
    const todo = `${dirname(rp)}/${outputs.get(rp)!}`.split('/').reverse().map((name) => ({ name, own: false }));
    for (let hops = 0; todo.length > 0; ) {
      const { name, own } = todo.pop()!;
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (at.pop() === undefined) return !own;
        continue;
      }
      const path = [...at, name].join('/');
      // An output of the entry replaces whatever the workspace has there.
      const ofEntry = outputs.has(path);
      const target = ofEntry ? outputs.get(path) : this.workspaceLink(path);
      if (target === undefined) {
        at.push(name);
        continue;
      }
      if (++hops > 40) return true; // a loop (ELOOP): refused
      if (isAbsolute(target)) {
        const inside = toRepoPath(relative(this.rootReal, target)) ?? toRepoPath(relative(this.workspaceRoot, target));
        if (inside === undefined) return false; // the workspace's own link leading out
        at.length = 0;
        todo.push(...inside.split('/').reverse().map((n) => ({ name: n, own: true })));
        continue;
      }
      todo.push(...target.split('/').reverse().map((n) => ({ name: n, own: !ofEntry })));
    }
    return false;
  }

  /** The target of a symbolic link the workspace has at `rp`, if it has one. */
  private workspaceLink(rp: string): string | undefined {
    try {
      const p = join(this.workspaceRoot, rp);
      return lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() ? readlinkSync(p) : undefined;
    } catch {
      return undefined; // a file where a folder would be: the name resolves no further
    }
  }

  /**
   * An entry's meta, verified, with the stat of meta.json as it was read (its identity for the run
   * manifest). The fingerprint is left out (`fingerprint` is undefined): restoring does not need
   * it, and it is most of the text to parse.
   */
  readMetaSync(hash: string): { status: 'ok'; meta: EntryMeta; stat: Stats } | { status: 'miss' } | { status: 'corrupt'; reason: string } {
    let text: string;
    let stat: Stats;
    try {
      const fd = openSync(join(this.entryDir(hash), 'meta.json'), 'r');
      try {
        stat = fstatSync(fd);
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if (isNotFound(e)) return { status: 'miss' };
      if ((e as NodeJS.ErrnoException).code === 'EISDIR') return { status: 'corrupt', reason: 'meta.json is not a file' };
      throw e;
    }
    const m = parseMeta(hash, text, { fingerprint: false });
    return m.status === 'ok' ? { ...m, stat } : m;
  }

  /** Stores a successful task's outputs and log. Never stores over an existing entry. */
  async store(req: StoreRequest, index?: OutputStatIndex): Promise<void> {
    const tmp = join(this.dir, 'tmp', `${req.hash}.${process.pid}.${randomBytes(6).toString('hex')}`);
    await mkdir(join(tmp, 'out'), { recursive: true });
    try {
      const files: ManifestFile[] = [];
      let size = req.log.length;
      for (const path of [...new Set(req.outputs)].sort()) {
        const rp = toRepoPath(path);
        if (rp === undefined || rp === '') continue;
        const src = join(this.workspaceRoot, rp);
        const st = await lstat(src).catch(() => undefined);
        if (!st) continue;
        const dest = join(tmp, 'out', rp);
        await mkdir(dirname(dest), { recursive: true });
        if (st.isSymbolicLink()) {
          const link = await readlink(src);
          const target = toRepoPath(join(dirname(rp), link));
          if (link.startsWith('/') || target === undefined) continue; // a link leading out of the workspace is not an output
          files.push({ path: rp, size: 0, mode: 0o777, oid: gitBlobId(Buffer.from(link)), link });
          continue;
        }
        if (!st.isFile()) continue;
        const content = await readFile(src);
        await writeFile(dest, content, { mode: st.mode & 0o777 });
        const oid = gitBlobId(content);
        const stored = await stat(dest);
        files.push({ path: rp, size: content.length, mode: st.mode & 0o777, oid, mtimeMs: stored.mtimeMs, ino: stored.ino, dev: stored.dev });
        size += content.length;
        if (index) index.set(rp, st, oid);
      }
      // A short text log rides inside meta.json (one file less to read on every hit).
      const logText = req.log.length <= 64 * 1024 ? Buffer.from(req.log).toString('utf8') : undefined;
      const inline = logText !== undefined && Buffer.byteLength(logText) === req.log.length && Buffer.from(logText).equals(Buffer.from(req.log));
      if (!inline) await writeFile(join(tmp, 'log'), req.log);
      const body = {
        layout: CACHE_LAYOUT_VERSION,
        hash: req.hash,
        task: req.task,
        code: 0,
        durationMs: Math.round(req.durationMs),
        createdAt: new Date().toISOString(),
        size,
        log: { size: req.log.length, oid: gitBlobId(req.log), ...(inline && { text: logText }) },
        files,
        fingerprint: req.fingerprint,
      };
      const json = JSON.stringify(body);
      await writeFile(join(tmp, 'meta.json'), `${sha256(json)}\n${json}`);
      await mkdir(join(this.dir, 'entries'), { recursive: true });
      await this.placeEntry(tmp, req.hash);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Renames an entry written in `tmp` into place. An entry already there is kept when whole
   * (another process stored the same hash first: as good as ours) and replaced when not (no
   * meta.json, an older layout: it reads as a miss, and would forever).
   */
  private async placeEntry(tmp: string, hash: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(tmp, this.entryDir(hash));
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTDIR') throw e;
        if (attempt > 0 || (await this.isWhole(hash))) return;
        await this.remove(hash);
      }
    }
  }

  /** Whether the entry of `hash` restores (its meta.json verifies, in this layout). */
  private async isWhole(hash: string): Promise<boolean> {
    return (await this.readMeta(hash).catch(() => undefined))?.status === 'ok';
  }

  /**
   * The last cached run of `task` (stored or restored): its hash and fingerprint. Kept beside the
   * entries (`last/<task>@<hash>.json`), so `why-miss` can still explain after the entry itself
   * was evicted. The hash is in the file name, so one directory listing tells which pointers a
   * run must update, without reading a file per task.
   */
  async lastRun(task: string): Promise<{ hash: string; fingerprint: unknown } | undefined> {
    const prefix = `${encodeTask(task)}@`;
    const names = (await readdir(join(this.dir, 'last')).catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && n.endsWith('.json'));
    let best: { name: string; at: number } | undefined;
    for (const name of names) {
      const at = (await stat(join(this.dir, 'last', name)).catch(() => undefined))?.mtimeMs;
      if (at !== undefined && (best === undefined || at > best.at)) best = { name, at };
    }
    if (!best) return undefined;
    try {
      const data = JSON.parse(await readFile(join(this.dir, 'last', best.name), 'utf8')) as { hash?: string; fingerprint?: unknown };
      return typeof data.hash === 'string' ? { hash: data.hash, fingerprint: data.fingerprint } : undefined;
    } catch {
      return undefined;
    }
  }

  async setLastRun(task: string, hash: string, fingerprint: unknown): Promise<void> {
    const lastDir = join(this.dir, 'last');
    // Listed once per process, and shared: concurrent callers must not each see an empty listing.
    this.lastIndex ??= readdir(lastDir).then(
      (names) => {
        const index = new Map<string, string[]>();
        for (const name of names) {
          const m = /^(.*)@([0-9a-f]+)\.json$/.exec(name);
          if (!m) continue;
          const list = index.get(m[1]!) ?? [];
          list.push(m[2]!);
          index.set(m[1]!, list);
        }
        return index;
      },
      () => new Map<string, string[]>(),
    );
    const lastIndex = await this.lastIndex;
    const enc = encodeTask(task);
    const existing = lastIndex.get(enc) ?? [];
    if (existing.length === 1 && existing[0] === hash) return;
    await mkdir(lastDir, { recursive: true });
    const file = join(lastDir, `${enc}@${hash}.json`);
    const tmp = join(this.dir, 'tmp', `last.${process.pid}.${randomBytes(4).toString('hex')}`);
    await mkdir(dirname(tmp), { recursive: true });
    await writeFile(tmp, JSON.stringify({ task, hash, fingerprint }));
    await rename(tmp, file);
    for (const old of existing) if (old !== hash) await rm(join(lastDir, `${enc}@${old}.json`), { force: true });
    lastIndex.set(enc, [hash]);
  }

  /** Removes what killed processes left in `tmp/` (entries half-written by a process that is gone). */
  async cleanTemp(): Promise<void> {
    const tmpDir = join(this.dir, 'tmp');
    const names = await readdir(tmpDir).catch(() => [] as string[]);
    await forEachLimit(names, 16, async (name) => {
      const pid = Number(/\.(\d+)\.[0-9a-f]+$/.exec(name)?.[1]);
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) return;
      if (pid === process.pid) return;
      await rm(join(tmpDir, name), { recursive: true, force: true });
    });
  }

  /** Removes least-recently-used entries until the store is under its size limit. Returns how many went. */
  /**
   * Removes least-recently-used entries until the store is under its size limit. Returns how many
   * went. `recent` adds uses the entries' own access times do not show (hash → time in ms): runs
   * answered by a run manifest restore nothing and read no meta.json.
   */
  async evict(recent?: ReadonlyMap<string, number>): Promise<number> {
    const entriesDir = join(this.dir, 'entries');
    const names = await readdir(entriesDir).catch(() => [] as string[]);
    const rows: { hash: string; size: number; used: number }[] = [];
    await forEachLimit(names, 32, async (hash) => {
      try {
        const p = join(entriesDir, hash, 'meta.json');
        // Reading an entry's meta.json on a hit updates its access time (Linux relatime: at most
        // daily); so does reading it here, hence the stat first.
        const st = await stat(p);
        const size = await entrySize(p);
        rows.push({ hash, size, used: Math.max(st.atimeMs, st.mtimeMs, recent?.get(hash) ?? 0) });
      } catch {
        // being written or removed by another process
      }
    });
    let total = rows.reduce((s, r) => s + r.size, 0);
    if (total <= this.maxSize) return 0;
    rows.sort((a, b) => a.used - b.used || (a.hash < b.hash ? -1 : 1));
    let removed = 0;
    for (const r of rows) {
      if (total <= this.maxSize) break;
      await this.remove(r.hash);
      total -= r.size;
      removed++;
    }
    return removed;
  }

  /** Removes an entry: renamed aside first, so no reader ever sees it half gone. */
  async remove(hash: string): Promise<void> {
    const trash = join(this.dir, 'tmp', `trash.${hash}.${process.pid}.${randomBytes(4).toString('hex')}`);
    await mkdir(join(this.dir, 'tmp'), { recursive: true });
    try {
      await rename(this.entryDir(hash), trash);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    await rm(trash, { recursive: true, force: true });
  }

  private async dropCorrupt(hash: string, reason: string): Promise<RestoreResult> {
    await this.remove(hash);
    return { status: 'corrupt', reason };
  }

  /** Where a repository-relative output path lands: outside the workspace, blocked by a file, or its absolute path inside (and whether its folder is missing). */
  private destination(path: string): { readonly kind: 'outside' } | { readonly kind: 'blocked' } | { readonly kind: 'inside'; readonly path: string; readonly folderMissing: boolean } {
    const rp = toRepoPath(path);
    if (rp === undefined || rp === '' || rp !== path) return { kind: 'outside' };
    // Outputs come many to a folder: its verdict is worked out once per restore.
    const parent = dirname(rp);
    let place = this.checkedDirs.get(parent);
    if (place === undefined) this.checkedDirs.set(parent, (place = this.placeOf(parent)));
    if (place === 'outside' || place === 'blocked') return { kind: place };
    return { kind: 'inside', path: this.workspaceRoot + sep + rp, folderMissing: place === 'missing' };
  }

  /**
   * Where the folder `rpDir` (repository-relative) stands, by its nearest existing ancestor (or
   * itself): outside the workspace when that resolves outside (a symbolic link leading out),
   * blocked when it is not a folder, else present or missing.
   */
  private placeOf(rpDir: string): FolderPlace {
    this.rootReal ??= realpathSync(this.workspaceRoot);
    let dir = rpDir;
    while (dir !== '.' && dir !== '') {
      const real = realpathOrUndefined(join(this.workspaceRoot, dir));
      if (real !== undefined) {
        if (!this.insideRoot(real)) return 'outside';
        if (!statSync(real).isDirectory()) return 'blocked';
        return dir === rpDir ? 'present' : 'missing';
      }
      dir = dirname(dir);
    }
    return rpDir === '.' || rpDir === '' ? 'present' : 'missing';
  }

  /** Whether a real path is the workspace's own real root or lies below it. */
  private insideRoot(real: string): boolean {
    this.rootReal ??= realpathSync(this.workspaceRoot);
    return real === this.rootReal || isWithin(real, this.rootReal);
  }
}

type FolderPlace = 'outside' | 'blocked' | 'present' | 'missing';

/**
 * Gives each of `files` (repository-relative) that is hard-linked elsewhere (a restored output
 * shares its inode with the cache's copy) an inode of its own, so a task that rewrites its outputs
 * in place cannot change what the cache holds. Run before a task executes.
 */
export async function detachOutputs(workspaceRoot: string, files: readonly string[]): Promise<void> {
  await forEachLimit(files, 16, async (f) => {
    const p = join(workspaceRoot, f);
    const st = await lstat(p).catch(() => undefined);
    if (!st || !st.isFile() || st.nlink < 2) return;
    const tmp = asideName(p);
    await copyFile(p, tmp);
    await chmod(tmp, st.mode & 0o777);
    await rename(tmp, p);
  });
}

/**
 * An entry's total size from its meta.json, reading only the head of the file: `size` is written
 * before the log and the file list, and JSON escapes the quotes inside strings, so the first
 * `,"size":` is that key. Anything unexpected reads and parses the whole file.
 */
async function entrySize(metaFile: string): Promise<number> {
  const handle = await open(metaFile, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.toString('utf8', 0, bytesRead);
    const m = /,"size":(\d+),/.exec(head);
    if (m && head.indexOf(',"size":') === m.index) return Number(m[1]);
  } finally {
    await handle.close();
  }
  const text = await readFile(metaFile, 'utf8');
  return (JSON.parse(text.slice(text.indexOf('\n') + 1)) as { size?: number }).size ?? 0;
}

/** Exposed for tests: where an entry lives. */
export function entryPath(cache: LocalCache, hash: string): string {
  return join(cache.dir, 'entries', hash);
}

function parseMeta(hash: string, text: string, options: { fingerprint: boolean } = { fingerprint: true }): { status: 'ok'; meta: EntryMeta } | { status: 'miss' } | { status: 'corrupt'; reason: string } {
  // `<sha256 of the JSON text>\n<JSON>`: the checksum covers the exact bytes, so verifying costs one hash.
  const nl = text.indexOf('\n');
  const body = nl === 64 ? text.slice(65) : undefined;
  if (body === undefined || sha256(body) !== text.slice(0, 64))
    return { status: 'corrupt', reason: 'meta.json does not match its checksum (truncated or edited?)' };
  let meta: EntryMeta | undefined;
  if (!options.fingerprint) meta = withoutFingerprint(body);
  try {
    meta ??= JSON.parse(body) as EntryMeta;
  } catch {
    return { status: 'corrupt', reason: 'meta.json is not valid JSON' };
  }
  if (meta.layout !== CACHE_LAYOUT_VERSION) return { status: 'miss' };
  if (meta.hash !== hash) return { status: 'corrupt', reason: 'meta.json belongs to another hash' };
  return { status: 'ok', meta };
}

/**
 * The meta without its fingerprint, parsed from the text before it: `store` writes `fingerprint` as
 * the last key, and JSON escapes every quote inside strings, so the last `,"fingerprint":` is that
 * key, unless a nested object has a key of that name, in which case the cut text does not parse
 * (an object is left open) and undefined sends the caller to the full parse.
 */
function withoutFingerprint(body: string): EntryMeta | undefined {
  const cut = body.lastIndexOf(',"fingerprint":');
  if (cut < 0) return undefined;
  try {
    const meta = JSON.parse(`${body.slice(0, cut)}}`) as EntryMeta;
    return Array.isArray(meta.files) && meta.log !== undefined ? meta : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The real path of `p`, or undefined when it does not exist. Not remembered between restores: a
 * folder may since have been removed, or replaced by a symbolic link leading out.
 */
function realpathOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The first output (in manifest order) lying below another output of the same entry, if any. The
 * store lists files and links without following links, so a real entry never has both `x` and
 * `x/y`; a crafted one would write through a link the restore itself made. Below a link, names are
 * also compared case-folded: a case-insensitive file system takes `L/y` for `l/y`.
 */
function nestedOutput(files: readonly ManifestFile[]): string | undefined {
  const fold = (p: string): string => p.normalize('NFC').toLowerCase();
  const paths = new Set(files.map((f) => f.path));
  const links = new Set(files.flatMap((f) => (f.link === undefined ? [] : [fold(f.path)])));
  // Folders already found to be no output, with all their ancestors: outputs come many to a folder.
  const clear = new Set<string>();
  for (const f of files) {
    for (let cut = f.path.lastIndexOf('/'); cut > 0; cut = f.path.lastIndexOf('/', cut - 1)) {
      const dir = f.path.slice(0, cut);
      if (clear.has(dir)) break;
      if (paths.has(dir) || (links.size > 0 && links.has(fold(dir)))) return f.path;
      clear.add(dir);
    }
  }
  return undefined;
}

/** Opens a new file for writing, or undefined when something (another process's copy, a link) is there already. */
function openNew(dest: string, mode: number): number | undefined {
  try {
    return openSync(dest, 'wx', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  }
}

/** A fresh name beside `path`, to write to and rename over it (never writing through what is there). */
function asideName(path: string): string {
  return `${path}.kiln-${randomBytes(4).toString('hex')}`;
}

/** Writes `content` beside `dest` and renames it over: the old file (a hard link, a link, open in a reader) is never written through. */
function replaceFile(dest: string, content: Buffer, mode: number): void {
  const tmp = asideName(dest);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeFileSync(fd, content);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, dest);
}

/** Makes a symbolic link at `dest`, over one another process made there meanwhile (a concurrent restore of the same entry). */
function placeSymlink(target: string, dest: string): void {
  try {
    symlinkSync(target, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const tmp = asideName(dest);
    symlinkSync(target, tmp);
    renameSync(tmp, dest);
  }
}

function encodeTask(task: string): string {
  return encodeURIComponent(task).replace(/\*/g, '%2A');
}

function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}


export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
