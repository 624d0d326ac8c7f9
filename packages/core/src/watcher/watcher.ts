/**
 * The workspace watcher: chokidar keeps one watch per directory (files are filtered out, so a
 * 160,000-file workspace costs a watch per folder, not per file) and its raw events name the
 * files that changed. Events are batched: a batch closes after `debounceMs` of quiet for one path
 * (a quiet that grows with the batch, and a long one once it is a burst of many paths; at the
 * latest at `maxWaitMs`), so a branch switch that rewrites 5,000 files is one batch and a single
 * save still closes one at once.
 *
 * What makes answers provable: every raw event bumps `seq()`, and `barrier()` writes a sentinel
 * file and waits for its own event; the OS queues events in order on one inotify descriptor, so
 * once the sentinel's event is back, every change made before the barrier began has moved `seq`.
 * A directory created after the start is scanned once its own watch exists (files written in
 * between would otherwise never be reported). What cannot be proven is reported, never guessed:
 * a watch limit (ENOSPC) or another watch error make `trouble()` say so, and a batch as large as
 * the kernel's event queue (events may have been dropped) says `overflow`. Dropped events cannot
 * make `seq` lie: the kernel drops only once its queue is full, so the events before the drop move it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { BARRIER_DIR } from './ignore-rules.js';

export interface WatchBatch {
  /** Workspace-relative, `/`-separated, sorted; a deleted file or folder is here too. */
  readonly paths: readonly string[];
  /** Events may have been lost (a burst the size of the kernel's queue): treat everything as changed. */
  readonly overflow: boolean;
}

export interface WatcherTrouble {
  readonly kind: 'watch-limit' | 'watch-error';
  readonly message: string;
}

export interface WatcherOptions {
  readonly isIgnored: (rel: string, isDirectory: boolean) => boolean;
  readonly debounceMs?: number;
  readonly maxWaitMs?: number;
  /** The quiet that closes a batch once it holds more than a few dozen paths. */
  readonly burstQuietMs?: number;
  readonly onBatch?: (batch: WatchBatch) => void;
  readonly onTrouble?: (trouble: WatcherTrouble) => void;
}

export interface Watcher {
  /** Resolves once the initial scan is done and every folder is watched. */
  readonly ready: Promise<void>;
  /** Bumped by every event on a watched path. */
  seq(): number;
  /** Resolves true once every change made before the call has been seen; false when the sentinel's event does not come back in time. */
  barrier(timeoutMs?: number): Promise<boolean>;
  /** Closes the pending batch now (after a barrier: nothing seen is left waiting). */
  flush(): void;
  trouble(): WatcherTrouble | undefined;
  /** Folders watched (each holds its files). */
  watchedFolders(): number;
  /** Files in the watched folders that are not ignored (counted when asked). */
  watchedFiles(): number;
  lastEventAt(): number | undefined;
  close(): Promise<void>;
}

function folderAt(abs: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

/** The kernel's event queue length (a burst this large may have lost events). */
function queueLimit(): number {
  try {
    return Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8').trim()) || 16384;
  } catch {
    return 16384;
  }
}

/** Paths in a batch beyond which it counts as a burst. */
const BURST = 64;

export function startWatcher(root: string, options: WatcherOptions): Watcher {
  const debounceMs = options.debounceMs ?? 10;
  const maxWaitMs = options.maxWaitMs ?? 1000;
  const burstQuietMs = Math.max(debounceMs, options.burstQuietMs ?? 250);
  const overflowAt = queueLimit();
  // One saved file closes its batch after `debounceMs`; the quiet grows with the batch (a few more
  // ms per doubling, `burstQuietMs` past BURST paths), so a writer's pause in a checkout or a
  // generator's burst does not split it, and `maxWaitMs` still bounds the wait.
  const quietAfter = (paths: number): number => (paths > BURST ? burstQuietMs : Math.min(burstQuietMs, Math.round(debounceMs * (1 + Math.log2(paths)))));
  const rel = (abs: string): string => relative(root, abs).split(sep).join('/');
  const ignored = (abs: string, stats?: { isFile(): boolean; isDirectory(): boolean }): boolean => {
    if (stats?.isFile()) return true; // folders only: their watches report their files
    return options.isIgnored(rel(abs), stats?.isDirectory() ?? true);
  };
  let seq = 0;
  let lastEventAt: number | undefined;
  let trouble: WatcherTrouble | undefined;
  let pending = new Set<string>();
  let rawInBatch = 0;
  let quiet: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let barrierCount = 0;
  const barriers = new Map<string, () => void>();
  let ready = false;

  const report = (t: WatcherTrouble): void => {
    if (trouble === undefined) trouble = t;
    options.onTrouble?.(t);
  };
  const flush = (): void => {
    clearTimeout(quiet);
    clearTimeout(deadline);
    quiet = deadline = undefined;
    if (pending.size === 0) return;
    const batch: WatchBatch = { paths: [...pending].sort(), overflow: rawInBatch >= overflowAt };
    pending = new Set();
    rawInBatch = 0;
    options.onBatch?.(batch);
  };
  const changed = (path: string): void => {
    seq++;
    lastEventAt = Date.now();
    pending.add(path);
    rawInBatch++;
    clearTimeout(quiet);
    quiet = setTimeout(flush, quietAfter(pending.size));
    deadline ??= setTimeout(flush, maxWaitMs);
  };

  // The barrier's folder exists before the watch starts, so its sentinel files are reported from the first.
  mkdirSync(join(root, BARRIER_DIR), { recursive: true });
  const watcher: FSWatcher = watch(root, { ignored, ignoreInitial: true, persistent: true, followSymlinks: false, atomic: false });
  watcher.on('raw', (event, name, details) => {
    const watchedPath = (details as { watchedPath?: string } | undefined)?.watchedPath;
    if (watchedPath === undefined || !name) return;
    const abs = join(watchedPath, name);
    const path = rel(abs);
    if (path.startsWith(`${BARRIER_DIR}/`)) return barriers.get(path)?.();
    if (path.startsWith('..') || options.isIgnored(path, false)) return;
    // A name that appeared or went: a new folder is scanned once watched (a folder rule like `dist/` is checked here).
    if (event === 'rename' && ready) {
      const isFolder = folderAt(abs);
      if (isFolder && options.isIgnored(path, true)) return;
      changed(path);
      if (isFolder) void settle(abs);
      return;
    }
    changed(path);
  });
  watcher.on('error', (error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') report({ kind: 'watch-limit', message: 'the inotify watch limit is reached (fs.inotify.max_user_watches)' });
    else report({ kind: 'watch-error', message: `watching failed: ${(error as Error).message ?? String(error)}` });
  });

  /**
   * A new folder (and the folders in it): once chokidar watches each, the files it already holds
   * count as changed, since they were written before any watch could see them. Barriers wait for this.
   */
  let settling = 0;
  let settled: (() => void)[] = [];
  async function settle(abs: string): Promise<void> {
    settling++;
    try {
      const closers = (watcher as unknown as { _closers?: Map<string, unknown> })._closers;
      if (closers === undefined) return report({ kind: 'watch-error', message: 'cannot tell when a new folder is watched' });
      for (const queue = [abs]; queue.length > 0;) {
        const dir = queue.shift()!;
        for (let waited = 0; !closers.has(dir); waited += 2) {
          // Gone again (a checkout, a stash): its removal's event counts.
          if (!folderAt(dir)) break;
          if (waited >= 5000) {
            report({ kind: 'watch-error', message: `${rel(dir)} was not watched in time` });
            break;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
        let entries: import('node:fs').Dirent[] = [];
        try {
          entries = readdirSync(dir, { withFileTypes: true });
        } catch {
          // removed meanwhile: the removal's event counts
        }
        for (const entry of entries) {
          const child = join(dir, entry.name);
          if (entry.isDirectory()) {
            if (!options.isIgnored(rel(child), true)) queue.push(child);
          } else if (!options.isIgnored(rel(child), false)) changed(rel(child));
        }
      }
    } finally {
      if (--settling === 0) for (const done of settled.splice(0)) done();
    }
  }

  const readyPromise = new Promise<void>((resolve) =>
    watcher.once('ready', () => {
      ready = true;
      resolve();
    }),
  );
  return {
    ready: readyPromise,
    seq: () => seq,
    async barrier(timeoutMs = 5000) {
      await readyPromise;
      const name = `${BARRIER_DIR}/${process.pid}-${++barrierCount}`;
      const seen = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        barriers.set(name, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      try {
        mkdirSync(join(root, BARRIER_DIR), { recursive: true });
        writeFileSync(join(root, name), '');
      } catch {
        barriers.delete(name);
        return false;
      }
      let ok = await seen;
      barriers.delete(name);
      if (ok && settling > 0)
        ok = await Promise.race([new Promise<boolean>((r) => settled.push(() => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
      rmSync(join(root, name), { force: true });
      return ok;
    },
    flush,
    trouble: () => trouble,
    watchedFolders: () => Object.keys(watcher.getWatched()).filter((d) => !rel(d).startsWith('..')).length,
    watchedFiles() {
      let files = 0;
      for (const dir of Object.keys(watcher.getWatched())) {
        if (rel(dir).startsWith('..')) continue;
        try {
          for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isFile() && !options.isIgnored(rel(join(dir, entry.name)), false)) files++;
        } catch {
          // gone
        }
      }
      return files;
    },
    lastEventAt: () => lastEventAt,
    async close() {
      flush();
      for (const done of barriers.values()) done();
      await watcher.close();
    },
  };
}
