/**
 * Watches on folders the workspace watcher leaves out (git-ignored outputs, kiln's cache, kiln's
 * own engine), for answers that depend on them: every event on a name that matters moves `seq()`
 * and is handed to `onEvent` (the daemon's run check keeps one seq; a watch session routes each
 * event to the entries kept in that folder).
 * On Linux, node's fs.watch shares the process's one inotify descriptor with the workspace
 * watcher (libuv keeps one per event loop), and the kernel queues events in order on it, so the
 * watcher's barrier covers these events too. A folder replaced since it was watched (its inode
 * moved) is watched again; what cannot be watched is reported, never guessed.
 */
import { lstatSync, watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';

interface FolderWatch {
  readonly watcher: FSWatcher;
  readonly dev: number;
  readonly ino: number;
  /** The names whose events count, or every name. */
  names: Set<string> | 'all';
}

export class FolderWatches {
  private readonly folders = new Map<string, FolderWatch>();
  private count = 0;
  private raw = 0;
  private problem: string | undefined;
  /** Called after every event that counts: its folder, and the name it is about (null: the whole folder, or the folder itself). */
  onEvent: ((folder: string, name: string | null) => void) | undefined;

  /** Moved by every event that counts (and by a watch that failed). */
  seq(): number {
    return this.count;
  }

  /** Why these watches cannot prove anything (a watch limit, a watch error), if so. */
  trouble(): string | undefined {
    return this.problem;
  }

  /** Folders watched. */
  size(): number {
    return this.folders.size;
  }

  /** Every event received, counted or not (the kernel's queue is shared: a long burst may have lost some). */
  received(): number {
    return this.raw;
  }

  /**
   * Watches `folder` for events on `name` (every name when none is given); false when it cannot
   * (the folder is missing or not a folder, or the watch failed).
   */
  add(folder: string, name?: string): boolean {
    const st = lstatSync(folder, { throwIfNoEntry: false });
    if (st === undefined || !st.isDirectory()) return false;
    let w = this.folders.get(folder);
    if (w !== undefined && (w.ino !== st.ino || w.dev !== st.dev)) {
      // What the old watch vouched for was another folder: it counts as changed.
      this.drop(folder);
      w = undefined;
      this.count++;
      this.onEvent?.(folder, null);
    }
    if (w === undefined) {
      let watcher: FSWatcher;
      try {
        watcher = watch(folder, { persistent: false }, (_event, changed) => this.event(folder, changed === null ? null : String(changed)));
      } catch (e) {
        this.fail(folder, `watching ${folder} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        return false;
      }
      watcher.on('error', (e: Error) => {
        this.fail(folder, `watching ${folder} failed (${e.message})`);
        this.drop(folder);
      });
      w = { watcher, dev: st.dev, ino: st.ino, names: new Set() };
      this.folders.set(folder, w);
    }
    if (name === undefined) w.names = 'all';
    else if (w.names !== 'all') w.names.add(name);
    return true;
  }

  /** Closes every watch; what they vouched for counts as changed (`seq` moves). */
  close(): void {
    for (const folder of [...this.folders.keys()]) this.drop(folder);
    this.count++;
  }

  private event(folder: string, name: string | null): void {
    this.raw++;
    const w = this.folders.get(folder);
    // A nameless event, or one about the folder itself (removed or moved away: its watch now follows the old inode), always counts, as the whole folder's.
    const about = name === basename(folder) ? null : name;
    if (w === undefined || about === null || w.names === 'all' || w.names.has(about)) {
      this.count++;
      this.onEvent?.(folder, about);
    }
  }

  private fail(folder: string, message: string): void {
    this.problem ??= message;
    this.count++;
    this.onEvent?.(folder, null);
  }

  private drop(folder: string): void {
    this.folders.get(folder)?.watcher.close();
    this.folders.delete(folder);
  }
}
