/**
 * The workspace's files and their digests, kept current by the watcher's batches: git lists them
 * once (`readWorkspaceFiles`: the index's ids for clean files), then each changed path is hashed
 * from its content, through the stat cache (size, mtime, ctime, inode), so a file that did not
 * change is never read again. A path new to the list is asked of git's ignore rules first (nested
 * .gitignore files and .git/info/exclude are git's, not the watcher's), so the list stays git's.
 * Edge: it reads files and asks git.
 */
import { readWorkspaceFiles, StatCache, workspaceFilesWithoutGit, type WorkspaceFiles } from '../files/index.js';
import { git } from '../scm/index.js';
import { join } from 'node:path';
import { existsSync, lstatSync } from 'node:fs';

export interface LiveFiles extends WorkspaceFiles {
  /** The listed files under those of `paths` that are gone (a folder moved or removed whole may report only itself). */
  underGone(paths: readonly string[]): string[];
  /** Takes a batch's paths in: deleted ones leave the list, new ones join it (unless git ignores them), every one is hashed again when asked. */
  apply(paths: readonly string[]): Promise<void>;
  readonly stats: StatCache;
}

export async function loadLiveFiles(root: string): Promise<LiveFiles> {
  const stats = await StatCache.load(join(root, '.kiln', 'file-digests'));
  const listed = await readWorkspaceFiles(root, stats);
  const present = new Set(listed.files);
  let sorted: readonly string[] = listed.files;
  // Paths changed since git listed them: their digests come from their content, never the index.
  const touched = new Set<string>();
  let content = workspaceFilesWithoutGit(root, [], stats);
  const underGone = (paths: readonly string[]): string[] => {
    const gone = paths.filter((p) => !present.has(p) && !existsSync(join(root, p))).map((p) => `${p}/`);
    return gone.length === 0 ? [] : [...present].filter((f) => gone.some((g) => f.startsWith(g)));
  };
  return {
    stats,
    get files() {
      return sorted;
    },
    known: (file) => (touched.has(file) ? undefined : listed.known(file)),
    digestSync: (file) => (touched.has(file) ? content.digestSync(file) : listed.digestSync(file)),
    underGone,
    async apply(paths) {
      const added: string[] = [];
      let removed = false;
      for (const path of [...paths, ...underGone(paths)]) {
        touched.add(path);
        const isFile = fileAt(join(root, path));
        if (!isFile && present.delete(path)) removed = true;
        else if (isFile && !present.has(path)) added.push(path);
      }
      for (const path of await notIgnored(root, added)) present.add(path);
      if (removed || added.length > 0) sorted = [...present].sort();
      // Digests computed before this batch may be of older content: forget them (the stat cache keeps the unchanged).
      content = workspaceFilesWithoutGit(root, [], stats);
    },
  };
}

/** A regular file or a symbolic link (what git lists), not a folder. */
function fileAt(abs: string): boolean {
  try {
    return !lstatSync(abs).isDirectory();
  } catch {
    return false;
  }
}

/** The paths git does not ignore (it reads every ignore file: nested ones, info/exclude, the global one; a tracked file is never ignored). */
async function notIgnored(root: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const r = await git(root, ['check-ignore', '-z', '--stdin'], { input: `${paths.join('\0')}\0` });
  // 0: some are ignored (listed), 1: none is; anything else is doubt, and git's list cannot be kept without an answer.
  if (r.code !== 0 && r.code !== 1) throw new Error(`git check-ignore failed: ${r.stderr.trim()}`);
  const ignored = new Set(r.stdout.split('\0'));
  return paths.filter((p) => !ignored.has(p));
}

/** Whether some declared output is a path git would list (no ignore file hides it): then a run changes git's list of files. */
export async function outputsListed(root: string, outputs: readonly string[]): Promise<boolean> {
  const probes = [...new Set(outputs.map((o) => o.replace(/[*?[{!].*$/, '').replace(/\/+$/, '')).filter((o) => o !== ''))].map((o) => `${o}/x`);
  if (probes.length === 0) return false;
  // -v -n: one line per path, `source:line:pattern<TAB>path`, with `::` when no rule ignores it (a `!` pattern re-includes it).
  const r = await git(root, ['check-ignore', '--no-index', '-v', '-n', '--', ...probes]);
  if (r.code !== 0 && r.code !== 1) return true;
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const rule = line.slice(0, line.indexOf('\t'));
    if (rule === '::' || rule.slice(rule.indexOf(':', rule.indexOf(':') + 1) + 1).startsWith('!')) return true;
  }
  return false;
}
