import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, realpath, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isWithin, toRepoPath } from '../model/index.js';

/** Bump when the layout of an entry changes; older entries then read as misses. */
export const CACHE_LAYOUT_VERSION = 1;

/** One output file in an entry: path, size, mode and git blob id of its content. */
export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly mode: number;
  readonly oid: string;
  /** Set for a symbolic link: its target (relative, staying inside the workspace). */
  readonly link?: string;
}

/** `meta.json` of an entry. `checksum` is the SHA-256 of the rest, canonically ordered. */
export interface EntryMeta {
  readonly layout: number;
  readonly hash: string;
  readonly task: string;
  readonly code: number;
  readonly durationMs: number;
  readonly createdAt: string;
  readonly size: number;
  readonly log: { readonly size: number; readonly oid: string };
  readonly files: readonly ManifestFile[];
  /** The task's fingerprint, kept so `why-miss` can compare against it. */
  readonly fingerprint: unknown;
  readonly checksum: string;
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
  | { readonly status: 'hit'; readonly meta: EntryMeta; readonly log: Buffer; readonly restoredFiles: number }
  | { readonly status: 'miss' }
  | { readonly status: 'corrupt'; readonly reason: string };

/** How restore decides a destination file already holds the right content without reading it. */
export interface OutputStatIndex {
  get(path: string, st: Stats): string | undefined;
  set(path: string, st: Stats, oid: string): void;
}

/**
 * The local cache: a content-addressed store under the workspace (default `.kiln/cache`).
 *
 *   entries/<hash>/meta.json   manifest: outputs (path, size, mode, blob id), log digest, fingerprint, checksum
 *   entries/<hash>/log         the task's terminal output, as it was printed
 *   entries/<hash>/out/<path>  the output files
 *   tmp/                       entries being written, and entries being removed
 *   last/<task>.json           the hash of the last cached run of each task (for `why-miss`)
 *
 * An entry is written under `tmp/` and renamed into `entries/` whole, so readers see all of it or
 * nothing, and two processes storing the same hash cannot mix their files (the second rename fails
 * and its copy is dropped). Removal also renames first. On restore, the manifest's checksum and
 * every file's size and blob id are checked before anything is written to the workspace; a
 * mismatch is reported as corrupt and the entry removed. Destinations must stay inside the
 * workspace: absolute paths, `..` and symbolic links leading out are refused.
 * Least-recently-used eviction keeps the store under `maxSize` bytes (a hit refreshes the entry's time).
 */
export class LocalCache {
  readonly dir: string;
  private readonly maxSize: number;
  private rootReal: string | undefined;
  private readonly lastHashes = new Map<string, string>();

  constructor(
    readonly workspaceRoot: string,
    dir: string,
    options: { maxSize?: number } = {},
  ) {
    this.dir = dir;
    this.maxSize = options.maxSize ?? 10 * 1024 ** 3;
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
      throw e;
    }
    let meta: EntryMeta;
    try {
      meta = JSON.parse(text) as EntryMeta;
    } catch {
      return { status: 'corrupt', reason: 'meta.json is not valid JSON (truncated?)' };
    }
    if (meta.layout !== CACHE_LAYOUT_VERSION) return { status: 'miss' };
    if (meta.hash !== hash || meta.checksum !== metaChecksum(meta)) return { status: 'corrupt', reason: 'meta.json checksum does not match' };
    return { status: 'ok', meta };
  }

  /**
   * Restores an entry's outputs into the workspace and returns its log. Nothing is written unless
   * the whole entry verifies. `index` (optional) tells which destinations already hold the right
   * content, so they are not rewritten.
   */
  async restore(hash: string, index?: OutputStatIndex): Promise<RestoreResult> {
    const m = await this.readMeta(hash);
    if (m.status === 'miss') return m;
    if (m.status === 'corrupt') return this.dropCorrupt(hash, m.reason);
    const meta = m.meta;
    const dir = this.entryDir(hash);
    try {
      const log = await readFile(join(dir, 'log'));
      if (log.length !== meta.log.size || blobId(log) !== meta.log.oid) return this.dropCorrupt(hash, 'the terminal log does not match its digest');
      // Check destinations, then decide per file whether it must be written.
      const todo: { file: ManifestFile; dest: string; content?: Buffer }[] = [];
      for (const file of meta.files) {
        const dest = await this.destination(file.path);
        if (dest === undefined) return this.dropCorrupt(hash, `output path "${file.path}" would leave the workspace`);
        if (file.link !== undefined && (file.link.startsWith('/') || toRepoPath(join(dirname(file.path), file.link)) === undefined))
          return this.dropCorrupt(hash, `output link "${file.path}" points outside the workspace`);
        if (file.link === undefined && index) {
          const st = await lstat(dest).catch(() => undefined);
          if (st && st.isFile() && st.size === file.size && index.get(file.path, st) === file.oid) {
            // The workspace already holds this output; the stored copy must still be whole.
            const stored = await stat(join(dir, 'out', file.path));
            if (stored.size !== file.size) throw new Corrupt(`output "${file.path}" is truncated`);
            continue;
          }
        }
        todo.push({ file, dest });
      }
      // Verify every file to be written before writing any.
      await forEachLimit(todo, 16, async (t) => {
        if (t.file.link !== undefined) return;
        const content = await readFile(join(dir, 'out', t.file.path));
        if (content.length !== t.file.size || blobId(content) !== t.file.oid) throw new Corrupt(`output "${t.file.path}" does not match its digest`);
        t.content = content;
      });
      await forEachLimit(todo, 16, async (t) => {
        await mkdir(dirname(t.dest), { recursive: true });
        if (t.file.link !== undefined) {
          await rm(t.dest, { force: true, recursive: true });
          await symlink(t.file.link, t.dest);
          return;
        }
        const st = await lstat(t.dest).catch(() => undefined);
        if (st && !st.isFile()) await rm(t.dest, { force: true, recursive: true });
        // Write aside and rename, so a reader never sees half a file and a hard link is never written through.
        const tmp = `${t.dest}.kiln-${randomBytes(4).toString('hex')}`;
        await writeFile(tmp, t.content!, { mode: t.file.mode });
        await rename(tmp, t.dest);
        if (index) index.set(t.file.path, await lstat(t.dest), t.file.oid);
      });
      await this.touch(hash);
      return { status: 'hit', meta, log, restoredFiles: todo.length };
    } catch (e) {
      if (e instanceof Corrupt) return this.dropCorrupt(hash, e.message);
      // The entry vanished while we read it (evicted by another process): a plain miss.
      if (isNotFound(e) && !(await exists(join(dir, 'meta.json')))) return { status: 'miss' };
      if (isNotFound(e)) return this.dropCorrupt(hash, `a file of the entry is missing (${(e as Error).message})`);
      throw e;
    }
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
          files.push({ path: rp, size: 0, mode: 0o777, oid: blobId(Buffer.from(link)), link });
          continue;
        }
        if (!st.isFile()) continue;
        const content = await readFile(src);
        await writeFile(dest, content, { mode: st.mode & 0o777 });
        const oid = blobId(content);
        files.push({ path: rp, size: content.length, mode: st.mode & 0o777, oid });
        size += content.length;
        if (index) index.set(rp, st, oid);
      }
      await writeFile(join(tmp, 'log'), req.log);
      const body = {
        layout: CACHE_LAYOUT_VERSION,
        hash: req.hash,
        task: req.task,
        code: 0,
        durationMs: Math.round(req.durationMs),
        createdAt: new Date().toISOString(),
        size,
        log: { size: req.log.length, oid: blobId(req.log) },
        files,
        fingerprint: req.fingerprint,
      };
      const meta: EntryMeta = { ...body, checksum: metaChecksum(body) };
      await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
      await mkdir(join(this.dir, 'entries'), { recursive: true });
      try {
        await rename(tmp, this.entryDir(req.hash));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw e;
        // Another process stored the same hash first; its entry is as good as ours.
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * The last cached run of `task` (stored or restored): its hash and fingerprint. Kept beside the
   * entries, so `why-miss` can still explain after the entry itself was evicted.
   */
  async lastRun(task: string): Promise<{ hash: string; fingerprint: unknown } | undefined> {
    try {
      const data = JSON.parse(await readFile(join(this.dir, 'last', `${encodeTask(task)}.json`), 'utf8')) as { hash?: string; fingerprint?: unknown };
      return typeof data.hash === 'string' ? { hash: data.hash, fingerprint: data.fingerprint } : undefined;
    } catch {
      return undefined;
    }
  }

  async setLastRun(task: string, hash: string, fingerprint: unknown): Promise<void> {
    const file = join(this.dir, 'last', `${encodeTask(task)}.json`);
    if (this.lastHashes.get(task) === hash) return;
    try {
      // Cheap check first: most hits leave the pointer as it is.
      const text = await readFile(file, 'utf8');
      if (text.includes(`"hash":"${hash}"`)) {
        this.lastHashes.set(task, hash);
        return;
      }
    } catch {
      // none yet
    }
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, JSON.stringify({ task, hash, fingerprint }));
    await rename(tmp, file);
    this.lastHashes.set(task, hash);
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
  async evict(): Promise<number> {
    const entriesDir = join(this.dir, 'entries');
    const names = await readdir(entriesDir).catch(() => [] as string[]);
    const rows: { hash: string; size: number; used: number }[] = [];
    await forEachLimit(names, 32, async (hash) => {
      try {
        const p = join(entriesDir, hash, 'meta.json');
        const [st, text] = await Promise.all([stat(p), readFile(p, 'utf8')]);
        rows.push({ hash, size: (JSON.parse(text) as { size?: number }).size ?? 0, used: st.mtimeMs });
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

  private async touch(hash: string): Promise<void> {
    const p = join(this.entryDir(hash), 'meta.json');
    try {
      const st = await stat(p);
      // Refresh at most once a minute: recency, not a write per hit.
      if (Date.now() - st.mtimeMs > 60_000) {
        const now = new Date();
        await utimes(p, now, now);
      }
    } catch {
      // gone meanwhile
    }
  }

  /** The absolute destination of a repository-relative output path, or undefined if it would leave the workspace. */
  private async destination(path: string): Promise<string | undefined> {
    const rp = toRepoPath(path);
    if (rp === undefined || rp === '' || rp !== path) return undefined;
    this.rootReal ??= await realpath(this.workspaceRoot);
    // The nearest existing ancestor must resolve inside the workspace (no symbolic link leading out).
    let dir = dirname(rp);
    while (dir !== '.' && dir !== '') {
      const real = await realpathCached(join(this.workspaceRoot, dir));
      if (real !== undefined) {
        if (!isWithin(real, this.rootReal) && real !== this.rootReal) return undefined;
        break;
      }
      dir = dirname(dir);
    }
    return join(this.workspaceRoot, rp);
  }
}

/** Exposed for tests: where an entry lives. */
export function entryPath(cache: LocalCache, hash: string): string {
  return join(cache.dir, 'entries', hash);
}

class Corrupt extends Error {}

const realpaths = new Map<string, Promise<string | undefined>>();
function realpathCached(p: string): Promise<string | undefined> {
  let r = realpaths.get(p);
  if (!r) {
    r = realpath(p).catch(() => undefined);
    // Only remember directories that exist; restore may create the others.
    r.then((v) => v === undefined && realpaths.delete(p));
    realpaths.set(p, r);
  }
  return r;
}

function metaChecksum(meta: Omit<EntryMeta, 'checksum'> & { checksum?: string }): string {
  const { checksum: _, ...rest } = meta;
  return createHash('sha256').update(stableJson(rest)).digest('hex');
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

function blobId(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
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

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
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
