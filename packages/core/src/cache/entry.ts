/**
 * The format of one cache entry: its `meta.json` (a checksum line, then the manifest as JSON),
 * how it is written and read back, and what makes a manifest trustworthy. Where entries live in
 * the cache folder is `root.ts`'s business; writing and restoring them, `store.ts`' and `restore.ts`'.
 */
import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256, toRepoPath } from '../model/index.js';
import { errorCode, isNotFound } from './errors.js';
import { entryDir } from './root.js';

/**
 * Bump when the layout of an entry changes; older entries then read as misses. 4: the stored
 * copies lie flat in the entry's folder (`copyName`), not below `out/` in the workspace's tree,
 * so storing or receiving an entry creates two folders at most instead of one per path segment.
 */
export const CACHE_LAYOUT_VERSION = 4;

/**
 * Layouts whose manifests mean what this one's does (they differ only in where the local store
 * keeps its copies): a remote entry in any of them is received, and kept in this layout.
 */
export const WIRE_LAYOUTS: readonly number[] = [3, CACHE_LAYOUT_VERSION];

/**
 * 5: a packed entry, what a small remote entry is kept as: the bytes of its regular files lie
 * end to end, in manifest order, in one file (`PACK_NAME`), as they came over the wire, so
 * receiving it creates one file instead of one per output, and restoring it writes each output
 * once, straight into the workspace (copies, never hard links). The manifest means the same as
 * layout 4's; a kiln that knows only layout 4 reads such an entry as a miss.
 */
export const PACKED_LAYOUT = 5;

/** The layouts the local store reads: its unpacked entries and its packed ones. */
export const LOCAL_LAYOUTS: readonly number[] = [CACHE_LAYOUT_VERSION, PACKED_LAYOUT];

/** A packed entry's files together are at most this large (larger entries are kept unpacked). */
export const PACK_MAX = 4 * 1024 * 1024;

/** The name, in a packed entry's folder, of the file holding every regular output's bytes. */
export const PACK_NAME = 'pack';

/** Where each regular file's bytes start in a pack (links have none: their offset is the next file's). */
export function packOffsets(files: readonly ManifestFile[]): number[] {
  let at = 0;
  return files.map((f) => {
    const start = at;
    if (f.link === undefined) at += f.size;
    return start;
  });
}

/** The name, in its entry's folder, of the stored copy of the manifest's `index`-th file. */
export function copyName(index: number): string {
  return `${index}.out`;
}

/** One output file in an entry: path, size, mode and git blob id of its content. */
export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly mode: number;
  readonly oid: string;
  /** The stored copy's modification time when it was stored (informative: restores verify content, since a rewrite can put the mtime back). */
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
  /**
   * The terminal log's size and SHA-256 (computed as it arrived: a git blob id needs the size
   * first); `text` holds it inline when it is short UTF-8, else it is the `log` file. Layout 2
   * had a blob id here: such entries read as misses.
   */
  readonly log: { readonly size: number; readonly sha256: string; readonly text?: string };
  readonly files: readonly ManifestFile[];
  /** The task's fingerprint, kept so `why-miss` can compare against it. */
  readonly fingerprint: unknown;
}

/** An entry's meta as read back: verified, absent, or why it cannot be trusted. */
export type MetaRead = { readonly status: 'ok'; readonly meta: EntryMeta } | { readonly status: 'miss' } | { readonly status: 'corrupt'; readonly reason: string };

/** The meta of the entry of `hash` in the cache folder `dir`, verified, or why it cannot be used. */
export async function readMeta(dir: string, hash: string): Promise<MetaRead> {
  let text: string;
  try {
    text = await readFile(join(entryDir(dir, hash), 'meta.json'), 'utf8');
  } catch (e) {
    if (isNotFound(e)) return { status: 'miss' };
    if (errorCode(e) === 'EISDIR') return { status: 'corrupt', reason: 'meta.json is not a file' };
    throw e;
  }
  return parseMeta(hash, text);
}

/**
 * An entry's meta, verified, with the stat of meta.json as it was read (its identity for the run
 * manifest). The fingerprint is left out (`fingerprint` is undefined): restoring does not need
 * it, and it is most of the text to parse.
 */
export function readMetaSync(dir: string, hash: string): { status: 'ok'; meta: EntryMeta; stat: Stats } | Exclude<MetaRead, { status: 'ok' }> {
  let text: string;
  let stat: Stats;
  try {
    const fd = openSync(join(entryDir(dir, hash), 'meta.json'), 'r');
    try {
      stat = fstatSync(fd);
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (isNotFound(e)) return { status: 'miss' };
    if (errorCode(e) === 'EISDIR') return { status: 'corrupt', reason: 'meta.json is not a file' };
    throw e;
  }
  const m = parseMeta(hash, text, { fingerprint: false });
  return m.status === 'ok' ? { ...m, stat } : m;
}

/**
 * The text of `meta.json`. The keys keep this order: `layout` and `hash` open the text and `size`
 * comes before the log and the file list (eviction reads only the head), and `fingerprint` is
 * last (restores parse the text before it).
 */
export function formatMeta(meta: EntryMeta): string {
  const body = {
    layout: meta.layout,
    hash: meta.hash,
    task: meta.task,
    code: meta.code,
    durationMs: meta.durationMs,
    createdAt: meta.createdAt,
    size: meta.size,
    log: meta.log,
    files: meta.files,
    fingerprint: meta.fingerprint,
  };
  const json = JSON.stringify(body);
  return `${sha256(json)}\n${json}`;
}

/** Verifies and parses `meta.json`'s text; without `fingerprint`, that part is left unparsed (undefined). */
export function parseMeta(hash: string, text: string, options: { fingerprint: boolean; layouts?: readonly number[] } = { fingerprint: true }): MetaRead {
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
  if (!(options.layouts ?? LOCAL_LAYOUTS).includes(meta.layout)) return { status: 'miss' };
  if (meta.hash !== hash) return { status: 'corrupt', reason: 'meta.json belongs to another hash' };
  return { status: 'ok', meta };
}

/**
 * The meta without its fingerprint, parsed from the text before it: `formatMeta` writes
 * `fingerprint` as the last key, and JSON escapes every quote inside strings, so the last
 * `,"fingerprint":` is that key, unless a nested object has a key of that name, in which case the
 * cut text does not parse (an object is left open) and undefined sends the caller to the full parse.
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
 * An entry's total size from its meta.json, or undefined when that is not a meta.json kiln wrote
 * for `hash` (eviction leaves such a folder alone). Reads only the head of the file: the checksum
 * line, then `{"layout":N,"hash":"<hash>",`, and `size` before the log and the file list; JSON
 * escapes the quotes inside strings, so the first `,"size":` is that key. A head without the size
 * (a very long task name) reads and parses the whole file.
 */
export async function entrySize(metaFile: string, hash: string): Promise<number | undefined> {
  const handle = await open(metaFile, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.toString('utf8', 0, bytesRead);
    if (!/^[0-9a-f]{64}\n\{"layout":\d+,"hash":"/.test(head) || !head.startsWith(`"${hash}",`, head.indexOf('"hash":"') + 7)) return undefined;
    const m = /,"size":(\d+),/.exec(head);
    if (m && head.indexOf(',"size":') === m.index) return Number(m[1]);
  } finally {
    await handle.close();
  }
  try {
    const meta = JSON.parse((await readFile(metaFile, 'utf8')).slice(65)) as { size?: unknown };
    return typeof meta.size === 'number' ? meta.size : undefined;
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
export function nestedOutput(files: readonly ManifestFile[]): string | undefined {
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

/** Whether a symbolic link at repository path `path` reading `link` leads out of the workspace (such a link is never an output). */
export function linkLeadsOut(path: string, link: string): boolean {
  return link.startsWith('/') || toRepoPath(join(dirname(path), link)) === undefined;
}

/** The deepest folder (repository-relative, '' for the root) that holds every one of `files`: where restoring ahead stages them (`ahead.ts`). */
export function outputsFolder(files: readonly ManifestFile[]): string {
  let folder: string | undefined;
  for (const f of files) {
    const parent = f.path.slice(0, Math.max(0, f.path.lastIndexOf('/')));
    if (folder === undefined) folder = parent;
    while (folder !== '' && parent !== folder && !parent.startsWith(`${folder}/`)) folder = folder.slice(0, Math.max(0, folder.lastIndexOf('/')));
  }
  return folder ?? '';
}

/** Where the entry of `hash` in `cache` keeps its copy of the output `path`, or undefined (none, or a packed entry: for tests, and whoever must find one copy). */
export function storedCopyPath(cache: { readonly dir: string }, hash: string, path: string): string | undefined {
  const m = readMetaSync(cache.dir, hash);
  const i = m.status === 'ok' && m.meta.layout !== PACKED_LAYOUT ? m.meta.files.findIndex((f) => f.path === path && f.link === undefined) : -1;
  return i < 0 ? undefined : join(entryDir(cache.dir, hash), copyName(i));
}
