/**
 * What one `kiln watch` session remembers between its runs, besides the workspace itself: the
 * task hashes of earlier plans (`TaskHashMemo`, see hash/memo.ts) and the cache entries already
 * restored. A dependency restored earlier in the session, whose outputs are all still in place
 * (each one's stat is the one kiln wrote or verified, with the entry's blob id: the stat index
 * every restore uses), is a hit again without reading its entry: its log was verified when it
 * was first restored and is held in memory. An entry with a log kept in a file, or with symbolic
 * links among its outputs, is restored the ordinary way each time.
 */
import { lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { holdsOutput, type EntryLog, type EntryMeta, type OutputStatIndex } from '../cache/index.js';
import { TaskHashMemo } from '../hash/index.js';

/** A task restored from the cache before the run walked the graph (`run-cache.ts`). */
export interface CacheHit {
  readonly log: EntryLog;
  readonly savedMs: number;
  readonly meta: EntryMeta;
  readonly metaStat: Stats;
  /** Where it came from: the local store, or a remote cache (through the local store). */
  readonly source: 'local' | 'remote';
}

export class RestoredInSession {
  private readonly hits = new Map<string, { readonly hit: CacheHit; readonly root: string; readonly paths: readonly string[] }>();

  /** Remembers a hit whose log is in memory and whose outputs (in the workspace at `root`) are plain files. */
  add(hash: string, hit: CacheHit, root: string): void {
    if ('bytes' in hit.log && hit.meta.files.every((f) => f.link === undefined))
      this.hits.set(hash, { hit: { ...hit, source: 'local' }, root, paths: hit.meta.files.map((f) => join(root, f.path)) });
  }

  /** The hit of `hash` restored earlier in the session, when every output is still in place; else undefined (and forgotten). */
  inPlace(hash: string, root: string, index: OutputStatIndex): CacheHit | undefined {
    const kept = this.hits.get(hash);
    if (kept === undefined || kept.root !== root) return undefined;
    if (kept.hit.meta.files.every((f, i) => inPlace(f, kept.paths[i]!, index))) return kept.hit;
    this.hits.delete(hash);
    return undefined;
  }
}

function inPlace(file: EntryMeta['files'][number], path: string, index: OutputStatIndex): boolean {
  const st = lstatSync(path, { throwIfNoEntry: false });
  return holdsOutput(file, st, index) && (st.mode & 0o777) === file.mode;
}

/** A new session's memory. */
export function watchSession(): { readonly hashes: TaskHashMemo; readonly restored: RestoredInSession } {
  return { hashes: new TaskHashMemo(), restored: new RestoredInSession() };
}
