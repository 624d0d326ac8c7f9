/**
 * live: the workspace held in memory for `kiln watch`: its configuration, project graph and
 * file-to-project index (graph-state's view), and every file's digest (git's list once, then
 * content through the stat cache), kept current by the watcher's batches. A batch of sources
 * rescans only those files' imports and re-hashes only those files; an edit that shapes the
 * workspace reloads the workspace and graph, an ignore file git's list of files. What a change
 * affects and what a task's hash is stay `affected/`'s and `hash/`'s: this only hands them data.
 * A session's memory between runs lives here too: its task hash memo and the cache entries it
 * restored, proven still in place by watches on their folders (`restored.ts`).
 * Edge: it reads files, asks git (at load and reload, for a new file's ignore verdict) and watches
 * the restored outputs' folders.
 */
import { loadLiveFiles, type LiveFiles } from './files.js';
import { loadLiveGraph, type LiveGraph, type LiveView } from './graph.js';
import { batchKind, type BatchKind } from './reload.js';

export { outputsListed, type LiveFiles } from './files.js';
export type { LiveView } from './graph.js';
export { RestoredInSession, watchSession, type CacheHit, type WatchSession } from './restored.js';
export { batchKind, type BatchKind } from './reload.js';

export interface LiveWorkspace {
  readonly root: string;
  view(): LiveView;
  files(): LiveFiles;
  /** Takes a batch in (before anything is asked about it); says what memory could not keep. */
  apply(paths: readonly string[]): Promise<BatchKind>;
  /** Asks git for its list of files again (what the watcher does not see may have changed it: the tasks' outputs). */
  relist(): Promise<void>;
}

/** Undefined when memory cannot follow this workspace (not a git checkout with a commit): the caller answers directly. */
export async function loadLiveWorkspace(root: string): Promise<LiveWorkspace | undefined> {
  const [graph, files] = await Promise.all([loadLiveGraph(root), loadLiveFiles(root).catch(() => undefined)]);
  if (graph === undefined || files === undefined) return undefined;
  let current: { graph: LiveGraph; files: LiveFiles } = { graph, files };
  // One change to memory at a time: a batch applied while git's list is read again would be lost with the old list.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = queue.then(job, job);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    root,
    view: () => current.graph.view(),
    files: () => current.files,
    apply: (paths) =>
      serial(async () => {
        const kind = batchKind(paths, await pluginConfigTest(current.graph.view()));
        // The sources of a folder that went whole (moved out, removed) are rescanned too: their imports leave the graph.
        const gone = current.files.underGone(paths);
        const files = kind.relist ? await loadLiveFiles(root) : current.files;
        if (!kind.relist) await files.apply(paths);
        if (kind.reload) {
          const graph = await loadLiveGraph(root);
          if (graph === undefined) throw new Error('the workspace can no longer be kept in memory');
          current = { graph, files };
        } else {
          await current.graph.apply(gone.length === 0 ? paths : [...paths, ...gone]);
          current = { graph: current.graph, files };
        }
        return kind;
      }),
    relist: () =>
      serial(async () => {
        current = { graph: current.graph, files: await loadLiveFiles(root) };
      }),
  };
}

/** Whether a path is a config file of nx.json's plugins (they infer projects from it). */
async function pluginConfigTest(view: LiveView): Promise<(path: string) => boolean> {
  if (!view.pluginConfigs || view.pluginConfigs.length === 0) return () => false;
  const { pluginConfigMatcher } = await import('../workspace/plugins/config.js');
  return pluginConfigMatcher(view.pluginConfigs);
}
