/**
 * cache: where task results are kept, behind one interface (`Cache`, in types.ts) that the local
 * store implements and remote stores will. `LocalCache` is the content-addressed store in the
 * workspace (`.kiln/cache` by default; nx.json `kiln.cacheDirectory` and `kiln.cacheMaxSize`
 * change it). An entry holds a successful task's outputs, its terminal log and its fingerprint.
 *
 * Edge module: it reads and writes files. What goes into a hash is `hash/`'s business, when to
 * store or restore is the runner's (`tasks/`).
 */
export { CACHE_LAYOUT_VERSION, copyName, linkLeadsOut, storedCopyPath, type EntryMeta, type ManifestFile } from './entry.js';
export { detachOutputs } from './detach.js';
export type { EntryRow } from './evict.js';
export type { LastRun } from './last-run.js';
export { entryLogBytes, LogCapture, replayLog, type CapturedLog, type EntryLog } from './log.js';
export { entryPath, LocalCache, openLocalCache } from './local.js';
export { startRestoreWorkerFor } from './restore-pool.js';
export { CACHE_MARKER, checkCacheFolder, entriesDir, markCacheFolder } from './root.js';
export { holdsOutput } from './restore.js';
export { entryHead, type EntryStream, type ReceiveResult } from './transfer.js';
export type { Cache, LookupResult, OutputStatIndex, RestoreResult, StatFields, StoreRequest, StoreResult, TakenIn } from './types.js';
