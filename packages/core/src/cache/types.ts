/**
 * The one interface every cache implements, the local store (`LocalCache`) and the remote ones to
 * come (Turborepo's v8 artifacts API, a Bazel HTTP cache, S3...), and the answers it gives. Every
 * answer is a value: a damaged, missing, full or unreachable cache is an answer, not an exception.
 */
import type { Stats } from 'node:fs';
import type { EntryMeta } from './entry.js';
import type { CapturedLog, EntryLog } from './log.js';

/** What a successful task leaves to keep: its outputs (read from the workspace) and its log. */
export interface StoreRequest {
  readonly hash: string;
  readonly task: string;
  readonly fingerprint: unknown;
  readonly durationMs: number;
  /** Output files, repository-relative (directories already expanded). */
  readonly outputs: readonly string[];
  /** The terminal log: in memory, or as a `LogCapture` (`log.ts`) gathered it while the task ran. */
  readonly log: Uint8Array | CapturedLog;
}

/** Whether a cache holds an entry, asked without restoring it (a HEAD request for a remote). */
export type LookupResult =
  | { readonly status: 'hit' }
  | { readonly status: 'miss' }
  | { readonly status: 'corrupt'; readonly reason: string }
  | { readonly status: 'unavailable'; readonly reason: string };

export type RestoreResult =
  | {
      readonly status: 'hit';
      readonly meta: EntryMeta;
      /** Verified; a long one is the entry's file, to replay in chunks (`replayLog`). */
      readonly log: EntryLog;
      readonly restoredFiles: number;
      /** meta.json's stat as it was read (in the local store, where every restore ends). */
      readonly metaStat: Stats;
    }
  | { readonly status: 'miss' }
  /** The entry cannot be trusted (checksum, digests, paths leaving the workspace); it was removed. */
  | { readonly status: 'corrupt'; readonly reason: string }
  /** The entry is whole, but the workspace has a file, or a link leading out, where one of its output folders must be. */
  | { readonly status: 'blocked'; readonly reason: string }
  /** The cache cannot be read (or reached): nothing was restored, the task runs. `said`: a warning has already told (a remote's circuit breaker). */
  | { readonly status: 'unavailable'; readonly reason: string; readonly said?: boolean };

/** What taking in a remote entry comes to: a restore's result, or the receive's verdict when it went no further. */
export type TakenIn = RestoreResult | { readonly status: 'stale' } | { readonly status: 'refused'; readonly reason: string };

export type StoreResult =
  /** Kept (or already there: another process stored the same hash first, which is as good). */
  | { readonly status: 'stored' }
  /** The cache cannot be written (or reached): nothing was kept, the workspace is as it was. */
  | { readonly status: 'unavailable'; readonly reason: string };

/** The fields of a stat an `OutputStatIndex` keeps (a restore worker sends just these back). */
export type StatFields = Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>;

/** How restore decides a destination file already holds the right content without reading it. */
export interface OutputStatIndex {
  get(path: string, st: Stats): string | undefined;
  set(path: string, st: StatFields, oid: string): void;
}

/**
 * A cache of task results, keyed by the task's hash. The runner asks the local cache first, then
 * the remote ones, and stores into each after a successful run.
 *
 * A remote cache moves whole entries, in the local entry's layout (meta.json, log, out/), and
 * goes through the local store for everything that touches the workspace: its `restore`
 * downloads the entry into the local store, which verifies it like any local entry (checksum,
 * digests, paths staying inside the workspace) before a file is written, then restores it from
 * there; its `store` uploads the entry the local store has just written for the same request.
 * So only one piece of code ever writes into the workspace. A remote answers `unavailable` when
 * the network or the server fails, and never `hit` for an entry it could not deliver whole.
 */
export interface Cache {
  /** What the run reports as the source of a hit. */
  readonly kind: 'local' | 'remote';
  lookup(hash: string): Promise<LookupResult>;
  /** Puts the entry's outputs back in the workspace and returns its log; nothing is written unless the whole entry verifies. */
  restore(hash: string, index?: OutputStatIndex): Promise<RestoreResult>;
  /** Keeps a successful task's outputs and log; never over an entry already there. */
  store(req: StoreRequest, index?: OutputStatIndex): Promise<StoreResult>;
}
