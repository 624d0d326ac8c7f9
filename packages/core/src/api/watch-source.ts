/**
 * Where `kiln watch` gets its change batches: from the workspace's daemon when one runs (its
 * watcher is shared, so no second watch over the same tree; `daemon/subscribe.ts`), else from a
 * watcher of its own. The daemon's batches follow git's ignore rules only, so what the watch
 * ignores besides (task outputs, .nxignore, node_modules) is dropped here. If the daemon cannot
 * be subscribed to, or its stream ends (it stopped, its watcher failed), the watch starts its own
 * watcher and says why; changes made in between are not known, so an `overflow` batch follows
 * (everything runs, memory is reloaded).
 */
import { readDaemonRecord, subscribeToDaemon, type Subscription } from '../daemon/index.js';
import { startWatcher, type WatchBatch, type Watcher, type WatcherTrouble } from '../watcher/index.js';
import { parseJson } from '../workspace/json.js';
import { daemonSettingOf } from '../workspace/kiln-config.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BatchSourceOptions {
  readonly isIgnored: (rel: string, isDirectory: boolean) => boolean;
  readonly onBatch: (batch: WatchBatch) => void;
  readonly onTrouble: (trouble: WatcherTrouble) => void;
  /** How the source was chosen or changed (for --verbose). */
  readonly note: (message: string) => void;
  /** The CLI's kiln build: a daemon of another build is not subscribed to. Without it, no daemon is asked. */
  readonly version: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

export interface BatchSource {
  /** Folders watched by this process's own watcher; undefined while the daemon's batches are used. */
  watchedFolders(): number | undefined;
  close(): Promise<void>;
}

export async function startBatchSource(root: string, options: BatchSourceOptions): Promise<BatchSource> {
  let own: Watcher | undefined;
  let subscription: Subscription | undefined;
  let closed = false;
  const watchForItself = async (): Promise<void> => {
    own = startWatcher(root, { isIgnored: options.isIgnored, debounceMs: 10, maxWaitMs: 3000, onBatch: options.onBatch, onTrouble: options.onTrouble });
    await own.ready;
  };
  const flag = options.env.KILN_DAEMON;
  const useDaemon = options.version !== undefined && flag !== '0' && flag !== 'false' && readDaemonRecord(root) !== undefined && daemonAllowed(root);
  if (useDaemon) {
    const subscribed = await subscribeToDaemon({
      root,
      version: options.version!,
      onBatch: (batch) => {
        const paths = batch.paths.filter((p) => !options.isIgnored(p, false));
        if (paths.length > 0 || batch.overflow) options.onBatch({ paths, overflow: batch.overflow });
      },
      ended: (reason) => {
        subscription = undefined;
        if (closed) return;
        options.note(`daemon: ${reason}; watching for itself from now on`);
        void watchForItself().then(() => options.onBatch({ paths: [], overflow: true }));
      },
    });
    if ('refused' in subscribed) options.note(`daemon: ${subscribed.refused}; watching for itself`);
    else {
      subscription = subscribed;
      options.note("daemon: sharing the daemon's watcher (no second watch over the workspace)");
    }
  }
  if (subscription === undefined) await watchForItself();
  return {
    watchedFolders: () => own?.watchedFolders(),
    async close() {
      closed = true;
      subscription?.close();
      await own?.close();
    },
  };
}

/** Not when nx.json says `"kiln": {"daemon": false}` (never used, even when one runs: docs/daemon.md). */
function daemonAllowed(root: string): boolean {
  try {
    const parsed = parseJson(readFileSync(join(root, 'nx.json'), 'utf8'), 'nx.json');
    return !parsed.ok || daemonSettingOf(parsed.value.value) !== false;
  } catch {
    return true;
  }
}
