/**
 * The cache entries a `kiln watch` session restored, so a dependency restored earlier is a hit
 * again without reading its entry (its log was verified then and is held in memory). An entry
 * with a log kept in a file, or with symbolic links among its outputs, is restored the ordinary
 * way each time.
 *
 * A kept entry is in place when every output still has the stat kiln wrote or verified it with
 * (the stat index every restore uses): one lstat per output. To spare those stats, an entry is
 * also *proven*: the folders of its outputs, each folder above them up to the workspace root (by
 * the name of the one below) and its entry folder in the cache are watched, set before the stats
 * that prove it; while no event names one of its outputs, one of those folders or its entry, it
 * is in place without a stat. A folder above an output renamed, removed or replaced is an event in
 * its parent's watch; the workspace root itself is looked at once per plan, after a barrier (a
 * sentinel's own event) proves every earlier event handled.
 *
 * Proofs are given only where events tell everything: an output with a hard link other than its
 * stored copy (whose folder is watched) is stat'ed every time; a watch that fails, the watch
 * limit, a burst long enough to fill the kernel's queue (events may be lost) or a barrier that
 * does not come back drops every proof, and the stats decide again.
 */
import { mkdirSync, lstatSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { copyName, holdsOutput, type EntryLog, type EntryMeta, type OutputStatIndex } from '../cache/index.js';
import { TaskHashMemo } from '../hash/index.js';
import { FolderWatches } from '../watcher/index.js';

/** A task restored from the cache before the run walked the graph (`run-cache.ts`). */
export interface CacheHit {
  readonly log: EntryLog;
  readonly savedMs: number;
  readonly meta: EntryMeta;
  readonly metaStat: Stats;
  /** Where it came from: the local store, or a remote cache (through the local store). */
  readonly source: 'local' | 'remote';
}

interface Kept {
  readonly hit: CacheHit;
  readonly root: string;
  /** The outputs' absolute paths, in the order of `hit.meta.files`. */
  readonly paths: readonly string[];
  /** The entry's folder in the cache (its stored copies). */
  readonly entry: string;
  proven: boolean;
}

/** The session's sentinels: under `.kiln`, outside the workspace watcher's view (its barrier folder would make chokidar list it for each). */
const SENTINEL_DIR = '.kiln/watch-session';
/** Events received between two plans beyond which some may have been lost (the kernel's queue, 16,384 by default, is shared with the workspace watcher). */
const BURST_EVENTS = 4096;
/** Watched folders beyond which the watches start afresh (each proof re-made by stats). */
const MAX_FOLDERS = 40_000;

export class RestoredInSession {
  private readonly hits = new Map<string, Kept>();
  private watches = new FolderWatches();
  /** Folder → name → the hashes whose proof an event on it ends ('' : every name of the folder). */
  private readonly routes = new Map<string, Map<string, Set<string>>>();
  private receivedAtSettle = 0;
  private barriers = 0;
  private readonly waiting = new Map<string, () => void>();
  /** Why no proof is given any more (a watch failed or hit the limit); stats decide from then on. */
  private unusable: string | undefined;
  /** The workspace root's device and inode when the first proof was made. */
  private rootId: string | undefined;

  constructor() {
    this.listen();
  }

  /**
   * Remembers a hit whose log is in memory and whose outputs (in the workspace at `root`) are plain
   * files; `entry` is its folder in the cache. With the stat index it was just restored with, it is
   * proven at once (the stats and watches a later plan would need are taken now, while a run restores anyway).
   */
  add(hash: string, hit: CacheHit, root: string, entry: string, index?: OutputStatIndex): void {
    if (!('bytes' in hit.log) || hit.meta.files.some((f) => f.link !== undefined)) return;
    const paths = hit.meta.files.map((f) => join(root, f.path));
    this.forget(hash);
    this.hits.set(hash, { hit: { ...hit, source: 'local' }, root, paths, entry, proven: false });
    if (index !== undefined) this.inPlace(hash, root, index);
  }

  /**
   * Resolves once every event for a change made before the call has been handled: a sentinel is
   * written in `root`'s `.kiln/watch-session/` and its own event awaited (one inotify queue, in order).
   * Call before asking `inPlace` for a plan. A sentinel that does not come back drops every proof.
   */
  async settle(root: string, timeoutMs = 2000): Promise<void> {
    if (this.routes.size === 0 || this.unusable !== undefined) return;
    const dir = join(root, SENTINEL_DIR);
    const name = `session-${process.pid}-${++this.barriers}`;
    const seen = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiting.set(name, () => (clearTimeout(timer), resolve(true)));
    });
    let ok = false;
    try {
      mkdirSync(dir, { recursive: true });
      if (this.watches.add(dir)) {
        writeFileSync(join(dir, name), '');
        ok = await seen;
      }
    } catch {
      ok = false;
    }
    this.waiting.delete(name);
    rmSync(join(dir, name), { force: true });
    const received = this.watches.received();
    // The workspace moved away and another put in its place: nothing watched is what the paths now name.
    if (!this.sameRoot(root)) this.restart();
    if (!ok || received - this.receivedAtSettle > BURST_EVENTS || this.watches.trouble() !== undefined) this.doubt();
    this.receivedAtSettle = this.watches.received();
  }

  /** Events may have been lost (a batch that overflowed the queue, a burst): every entry is stat'ed again. */
  doubt(): void {
    for (const kept of this.hits.values()) kept.proven = false;
    const trouble = this.watches.trouble();
    if (trouble !== undefined) this.unusable = trouble;
    if (trouble !== undefined || this.watches.size() > MAX_FOLDERS) this.restart();
  }

  /** The hit of `hash` restored earlier in the session, when every output is still in place; else undefined (and forgotten). */
  inPlace(hash: string, root: string, index: OutputStatIndex): CacheHit | undefined {
    const kept = this.hits.get(hash);
    if (kept === undefined || kept.root !== root) return undefined;
    if (kept.proven && this.unusable === undefined) return kept.hit;
    kept.proven = false;
    // Watched before the stats: a change after them has an event to come, which ends the proof.
    const watched = this.unusable === undefined && this.watch(hash, kept);
    let linksWatched = true;
    for (const [i, f] of kept.hit.meta.files.entries()) {
      const st = lstatSync(kept.paths[i]!, { throwIfNoEntry: false });
      if (!holdsOutput(f, st, index) || (st.mode & 0o777) !== f.mode) return void this.forget(hash);
      if (watched && linksWatched && st.nlink > 1) linksWatched = st.nlink === 2 && sameFile(st, join(kept.entry, copyName(i)));
    }
    kept.proven = watched && linksWatched && this.watches.trouble() === undefined;
    return kept.hit;
  }

  /** Whether the entry of `hash` is proven in place now (its next `inPlace` needs no stat). */
  proven(hash: string): boolean {
    return this.hits.get(hash)?.proven === true;
  }

  /** Closes the watches (the session ends). */
  close(): void {
    this.watches.close();
    for (const done of this.waiting.values()) done();
  }

  /** Routes events on `kept`'s outputs, the folders above them and its entry folder to its proof; false when a folder cannot be watched. */
  private watch(hash: string, kept: Kept): boolean {
    if (this.watches.size() > MAX_FOLDERS) this.restart();
    for (const [folder, name] of routesOf(kept)) {
      if (!this.watches.add(folder)) return false;
      let names = this.routes.get(folder);
      if (names === undefined) this.routes.set(folder, (names = new Map()));
      let hashes = names.get(name);
      if (hashes === undefined) names.set(name, (hashes = new Set()));
      hashes.add(hash);
    }
    return this.sameRoot(kept.root);
  }

  /** Whether `root` is still the folder first watched at that path (a workspace moved away and replaced is not). */
  private sameRoot(root: string): boolean {
    const st = lstatSync(root, { throwIfNoEntry: false });
    if (st === undefined) return false;
    const id = `${st.dev}:${st.ino}`;
    this.rootId ??= id;
    return this.rootId === id;
  }

  private listen(): void {
    this.watches.onEvent = (folder, name) => {
      if (name !== null && name.startsWith('session-')) this.waiting.get(name)?.();
      const names = this.routes.get(folder);
      if (names === undefined) return;
      const ended = (hashes: Set<string> | undefined): void => {
        for (const h of hashes ?? []) {
          const kept = this.hits.get(h);
          if (kept !== undefined) kept.proven = false;
        }
      };
      if (name === null) for (const hashes of names.values()) ended(hashes);
      else (ended(names.get(name)), ended(names.get('')));
    };
  }

  /** New watches, no routes, no proofs (stats decide and prove again). */
  private restart(): void {
    this.watches.close();
    this.watches = new FolderWatches();
    this.routes.clear();
    this.receivedAtSettle = 0;
    this.rootId = undefined;
    for (const kept of this.hits.values()) kept.proven = false;
    this.listen();
  }

  private forget(hash: string): void {
    const kept = this.hits.get(hash);
    if (kept === undefined) return;
    this.hits.delete(hash);
    for (const [folder, name] of routesOf(kept)) this.routes.get(folder)?.get(name)?.delete(hash);
  }
}

/**
 * The (folder, name) pairs whose events end `kept`'s proof: each output in its folder, every folder
 * between those and the workspace root by the name of the one below it, and the entry folder ('': any name).
 */
function routesOf(kept: Kept): [folder: string, name: string][] {
  const pairs = new Map<string, [string, string]>();
  const add = (folder: string, name: string): void => void pairs.set(`${folder}\0${name}`, [folder, name]);
  for (const p of kept.paths) add(dirname(p), basename(p));
  for (const p of kept.paths)
    for (let d = dirname(p); d !== kept.root && d.startsWith(`${kept.root}/`); d = dirname(d)) {
      const key = `${dirname(d)}\0${basename(d)}`;
      if (pairs.has(key)) break;
      add(dirname(d), basename(d));
    }
  add(kept.entry, '');
  return [...pairs.values()];
}

/** Whether the file at `path` is the inode `st` describes (its other link is this one). */
function sameFile(st: Stats, path: string): boolean {
  const other = lstatSync(path, { throwIfNoEntry: false });
  return other !== undefined && other.ino === st.ino && other.dev === st.dev;
}

/** What one `kiln watch` session keeps between its plans: the task hashes (`hash/memo.ts`) and the entries restored. */
export interface WatchSession {
  readonly hashes: TaskHashMemo;
  readonly restored: RestoredInSession;
}

export function watchSession(): WatchSession {
  return { hashes: new TaskHashMemo(), restored: new RestoredInSession() };
}
