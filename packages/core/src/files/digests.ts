import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gitBlobId } from '../model/index.js';
import { gitOrThrow } from '../scm/index.js';
import { blobIdOfFileSync, LARGE_FILE } from './blob-id.js';
import { workTreeSnapshot, type WorkTreeSnapshot } from './snapshot.js';
import type { StatCache } from './stat-cache.js';

/**
 * The workspace's candidate input files and their git blob ids.
 * Clean tracked files take their id from git's index (`git ls-files -s`), with no read at all;
 * modified and untracked (not ignored) files are hashed the way git hashes blobs, so both agree,
 * and the stat cache spares re-reading those that did not change since the last run.
 * Git-ignored files are not listed: they are not inputs unless a task declares them.
 */
export interface WorkspaceFiles {
  /** Every non-ignored file that exists, repository-relative, sorted. */
  readonly files: readonly string[];
  /** The blob id if already known without I/O (clean tracked files, stat-cache hits). */
  known(file: string): string | undefined;
  /** A file's git blob id: clean files cost nothing, dirty ones one stat (and a read when changed). */
  digestSync(file: string): string | undefined;
  /** The work tree these files were listed from (inside git only). */
  readonly snapshot?: WorkTreeSnapshot;
}

/**
 * The index as `git ls-files -s -z -- .` lists it at the workspace root, asked once per run: the
 * blob id of every file in it and the list of its paths (what `git ls-files --cached` lists).
 */
export interface IndexListing {
  /** Path → blob id, relative to the root; submodules (gitlinks) are not files and are left out. */
  readonly ids: ReadonlyMap<string, string>;
  /** Every path in the index once, in git's order, submodules included. */
  readonly tracked: readonly string[];
  /** Whether any path is a submodule. */
  readonly gitlinks: boolean;
}

/** Lists the index below `root` (paths relative to it); throws when git fails. */
export async function listIndex(root: string): Promise<IndexListing> {
  const out = await gitOrThrow(root, ['ls-files', '-s', '-z', '--', '.']);
  const ids = new Map<string, string>();
  const tracked: string[] = [];
  let gitlinks = false;
  // `<mode> <oid> <stage>\t<path>\0`, sorted by path; a path in conflict comes once per stage.
  for (let at = 0; at < out.length;) {
    let end = out.indexOf('\0', at);
    if (end < 0) end = out.length;
    const tab = out.indexOf('\t', at);
    const path = out.slice(tab + 1, end);
    if (tracked.length === 0 || tracked[tracked.length - 1] !== path) tracked.push(path);
    if (out.startsWith('160000', at)) gitlinks = true;
    else ids.set(path, out.slice(at + 7, tab - 2));
    at = end + 1;
  }
  return { ids, tracked, gitlinks };
}

/**
 * Lists the files and their digests. `snapshot` is a snapshot of the work tree already being taken
 * (it must have been started before anything was read for this run); without it one is taken here.
 * `index`: the index already being listed (`listIndex`), if any.
 */
export async function readWorkspaceFiles(root: string, stats: StatCache, snapshot?: Promise<WorkTreeSnapshot>, index?: Promise<IndexListing>): Promise<WorkspaceFiles> {
  // `ls-files` paths are relative to `root` (via cwd and `.`); the snapshot strips the prefix of a
  // workspace that sits below the repository's top from `status` paths.
  const [listing, taken] = await Promise.all([index ?? listIndex(root), snapshot ?? workTreeSnapshot(root)]);
  const ids = listing.ids;
  const dirty = new Set<string>();
  const deleted = new Set<string>();
  for (const { path, xy } of taken.entries) {
    if (xy.includes('D') && xy !== '??') deleted.add(path);
    else dirty.add(path);
  }
  // The index's id stands for a file git reports unchanged; a changed or deleted one has none.
  const all = new Set<string>(ids.keys());
  for (const d of deleted) all.delete(d);
  for (const d of dirty) all.add(d);
  const clean = (file: string): string | undefined => (dirty.has(file) || deleted.has(file) ? undefined : ids.get(file));
  const files = [...all].sort();
  const computed = new Map<string, string | undefined>();
  return {
    files,
    snapshot: taken,
    known: clean,
    digestSync(file) {
      const id = clean(file);
      if (id !== undefined) return id;
      if (!computed.has(file)) computed.set(file, hashFileSync(root, file, stats));
      return computed.get(file);
    },
  };
}

/**
 * Outside git: the given file list (globbed by the caller), every file hashed by content, the stat
 * cache sparing unchanged ones. Slower than the index on a first run, the same afterwards.
 */
export function workspaceFilesWithoutGit(root: string, list: readonly string[], stats: StatCache): WorkspaceFiles {
  const files = [...new Set(list)].sort();
  const computed = new Map<string, string | undefined>();
  const digestSync = (file: string): string | undefined => {
    if (!computed.has(file)) computed.set(file, hashFileSync(root, file, stats));
    return computed.get(file);
  };
  return { files, known: () => undefined, digestSync };
}

function hashFileSync(root: string, file: string, stats: StatCache): string | undefined {
  const full = join(root, file);
  try {
    const st = lstatSync(full);
    const cached = stats.get(file, st);
    if (cached !== undefined) return cached;
    // A large file is read in chunks (whole, past 2 GiB it cannot be read at all); one that changed meanwhile is read again, whole.
    const large = st.isFile() && st.size > LARGE_FILE ? blobIdOfFileSync(full, st.size) : undefined;
    const oid = large ?? gitBlobId(st.isSymbolicLink() ? Buffer.from(readlinkSync(full)) : readFileSync(full));
    stats.set(file, st, oid);
    return oid;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw e;
  }
}
