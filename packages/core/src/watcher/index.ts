/**
 * watcher: the workspace's file changes as batches, for the daemon and `kiln watch`. chokidar
 * watches folders, honouring .gitignore, .nxignore, node_modules, `.kiln` and the tasks'
 * outputs; a barrier proves every change made before it was seen. Edge: it watches the file
 * system. It leaves to others what a change affects (`affected/`) and what runs (`tasks/`).
 */
export { startWatcher, type Watcher, type WatchBatch, type WatcherOptions, type WatcherTrouble } from './watcher.js';
export { BARRIER_DIR, workspaceIgnore, type IgnoreOptions } from './ignore-rules.js';
export { FolderWatches } from './folder-watches.js';
