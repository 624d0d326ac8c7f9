/**
 * `kiln run`'s fast path answered by the daemon. The run manifest's own check (`run-manifest/`)
 * runs here, warm, and its verdict is kept while nothing it vouches for can have changed: the
 * work tree through the workspace watcher and git's stats (as for every kept answer), and the
 * rest (outputs, which git ignores, the cache entries, the cache's `last/` and `tmp/`, the stat
 * cache, kiln's engine, the manifest itself) through watches on their folders, set before the
 * check reads anything. An output that is a hard link is kept only when every link to its inode is
 * a watched path (the output and its stored copy): a write through a link elsewhere would change it
 * unseen. The env values the fingerprints used are compared for each request, so the env itself
 * is not part of the question. Then a fully cached `kiln run` costs the CLI a socket round trip: no
 * git status, no stat walk, no engine.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { changedEnv } from '../inputs/env-patterns.js';
import { checkRunManifest, manifestWatchList, type ManifestRequest, type ManifestTask, type ManifestWatchList } from '../run-manifest/index.js';
import { FolderWatches } from '../watcher/index.js';
import type { DaemonOperation } from './server.js';

/** The daemon's answer to `run-check`: the fast path's verdict, and what keeps it. */
export type RunCheckAnswer =
  | {
      readonly ok: true;
      /** As the manifest keeps them: the log as text, or as base64 when it is not UTF-8 (plain JSON on the wire). */
      readonly tasks: readonly RunCheckTask[];
      /** The env variables the fingerprints used (name → digest of the value, null when unset). */
      readonly env: Readonly<Record<string, string | null>>;
      /** Each wildcard of `env` → the variables it matched. */
      readonly envWildcards?: Readonly<Record<string, readonly string[]>>;
      /** The folder watches' seq when the check began; undefined when the verdict cannot be kept (`unkept` says why). */
      readonly stamp?: number;
      readonly unkept?: string;
    }
  | { readonly ok: false; readonly reason: string };

export interface RunCheckTask extends Omit<ManifestTask, 'log'> {
  readonly log: string;
  readonly encoding?: 'base64';
}

/** The arguments the CLI sends: its run request without the working directory (the request's own). */
export type RunCheckArgs = Omit<ManifestRequest, 'cwd'>;

const GIT_LOCATIONS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE'];
/**
 * Watched folders beyond which the watches start afresh (each build's new cache entries add theirs,
 * and nothing else removes them): one manifest of 1,000 projects makes about 7,000.
 */
const MAX_WATCHED_FOLDERS = 30_000;

/** The `run-check` operation, with its own folder watches. */
export function runCheckOperation(): DaemonOperation & { readonly watches: FolderWatches } {
  const watches = new FolderWatches();
  return {
    watches,
    memo: true,
    async run(args, cwd, env): Promise<RunCheckAnswer> {
      const req: ManifestRequest = { ...(args as RunCheckArgs), cwd };
      const list = manifestWatchList(req);
      if (watches.size() > MAX_WATCHED_FOLDERS) watches.close();
      // Watched before the check reads anything: a change after this point moves the stamp.
      const unkept = list === undefined ? 'no manifest' : watchList(watches, list);
      const stamp = watches.seq();
      const check = await checkRunManifest(req, env);
      if (!check.ok) return { ok: false, reason: check.reason };
      const tasks = check.tasks.map(({ log, ...t }): RunCheckTask => {
        const text = log.toString('utf8');
        return Buffer.from(text, 'utf8').equals(log) ? { ...t, log: text } : { ...t, log: log.toString('base64'), encoding: 'base64' };
      });
      return { ok: true, tasks, env: check.env, ...(check.envWildcards && { envWildcards: check.envWildcards }), ...(unkept === undefined ? { stamp } : { unkept }) };
    },
    watchStale(stale) {
      watches.onEvent = stale;
    },
    watchedFolders: () => watches.size(),
    holds(value, env) {
      const v = value as RunCheckAnswer;
      if (!v.ok || v.stamp === undefined || v.stamp !== watches.seq() || watches.trouble() !== undefined) return false;
      if (GIT_LOCATIONS.some((k) => env[k] !== undefined)) return false;
      return changedEnv(v.env, v.envWildcards, env) === undefined;
    },
  };
}

/** Watches everything `list` vouches for; why the verdict cannot be kept, or undefined. */
function watchList(watches: FolderWatches, list: ManifestWatchList): string | undefined {
  const named = (path: string): boolean => watches.add(dirname(path), basename(path));
  if (!named(list.file)) return 'the manifest folder cannot be watched';
  // Inode → how many of its links are watched paths (outputs and stored copies).
  const watchedLinks = new Map<string, number>();
  const count = (dev: number, ino: number): void => {
    const key = `${dev}:${ino}`;
    watchedLinks.set(key, (watchedLinks.get(key) ?? 0) + 1);
  };
  for (const entry of list.entries) {
    if (!named(entry)) return `the cache entry ${entry} is missing`;
    const trouble = watchTree(watches, entry, count);
    if (trouble !== undefined) return trouble;
  }
  const linked: { path: string; key: string; nlink: number }[] = [];
  for (const path of list.paths) {
    // A missing path is recorded as missing (last/, tmp/): its folder's events still count.
    if (!named(path)) return `${dirname(path)} cannot be watched`;
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory() && !watches.add(path)) return `${path} cannot be watched`;
    if (st?.isFile() && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      linked.push({ path, key, nlink: st.nlink });
      count(st.dev, st.ino);
    }
  }
  for (const { path, key, nlink } of linked) if ((watchedLinks.get(key) ?? 0) < nlink) return `${path} has a hard link outside the outputs and the cache entries`;
  for (const folder of list.folders) if (!named(folder)) return `${dirname(folder)} cannot be watched`;
  return undefined;
}

/** Watches every folder of a cache entry and counts its files' inodes; why not, or undefined. */
function watchTree(watches: FolderWatches, dir: string, count: (dev: number, ino: number) => void): string | undefined {
  if (!watches.add(dir)) return `${dir} cannot be watched`;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return `${dir} cannot be read`;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      const trouble = watchTree(watches, path, count);
      if (trouble !== undefined) return trouble;
    } else if (e.isFile()) {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st !== undefined && st.nlink > 1) count(st.dev, st.ino);
    }
  }
  return undefined;
}
