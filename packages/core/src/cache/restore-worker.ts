/**
 * A restore worker thread (`restore-pool.ts` starts it): takes in a remote entry whose body the
 * main thread read whole and whose transport verdict it knows, then restores it, with the same code
 * as the main thread (`receiveEntry`, then `Restorer.restoreReceived`): every check before any
 * write, the entry placed in the local store, the outputs written. The main thread meanwhile only
 * handles HTTP. Where an output already exists, the worker writes none (the main thread holds the
 * stat index that says which are right) and says `placed`. Answers carry each written file's stat,
 * for the main thread's index, and file-system errors as their fields. Jobs come, and answers go,
 * several to a message (`restore-pool.ts` `send`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorCode } from './errors.js';
import { removeEntry } from './evict.js';
import { Restorer } from './restore.js';
import type { StoreTarget } from './store.js';
import { receiveEntry } from './transfer.js';
import { outputsFolder, type ManifestFile } from './entry.js';
import type { ReceivedPack } from './transfer.js';
import type { OutputStatIndex, RestoreResult, StatFields } from './types.js';
import type { RestoreAnswer, RestoreAnswers, RestoreJob, RestoreWorkerData, WrittenRows } from './restore-pool.js';

const { workspaceRoot, dir, largeFile, restoreMode } = workerData as RestoreWorkerData;
const restorer = new Restorer(workspaceRoot, dir, restoreMode, largeFile);
const target: StoreTarget = { workspaceRoot, dir, largeFile, remove: (hash) => removeEntry(dir, hash) };

/** Records each written file's stat, to send back; knows of no file already right (the worker writes only new files). */
class Recorded implements OutputStatIndex {
  private readonly at: number[] = [];
  private readonly stats: number[] = [];
  private readonly place: Map<string, number>;
  constructor(files: readonly ManifestFile[]) {
    this.place = new Map(files.map((f, i) => [f.path, i]));
  }
  get(): undefined {
    return undefined;
  }
  set(path: string, st: StatFields): void {
    this.at.push(this.place.get(path)!);
    this.stats.push(st.size, st.mtimeMs, st.ctimeMs, st.ino);
  }
  /** Typed arrays: they cross threads as one copy of their bytes. */
  rows(): WrittenRows {
    return { at: Int32Array.from(this.at), stats: Float64Array.from(this.stats) };
  }
}

function failed(stage: 'receive' | 'restore', e: unknown): RestoreAnswer {
  const err = e as NodeJS.ErrnoException;
  return {
    status: 'failed',
    stage,
    error: { message: err?.message ?? String(e), ...(errorCode(e) !== undefined && { code: errorCode(e), path: err.path, syscall: err.syscall }) },
  };
}

async function* once(body: Uint8Array): AsyncGenerator<Uint8Array> {
  yield body;
}

async function answer(job: RestoreJob): Promise<RestoreAnswer> {
  let got;
  try {
    got = await receiveEntry(target, job.hash, once(job.body), () => job.verdict);
  } catch (e) {
    return failed('receive', e);
  }
  if (got.status !== 'received') return got;
  if (got.packed === undefined) return { status: 'placed', placed: got.placed };
  try {
    return job.stage === undefined ? restored(job.hash, got.packed) : staged(job.hash, got.packed, job.stage);
  } catch (e) {
    return failed('restore', e);
  }
}

/** Restores a received entry into the workspace. */
function restored(hash: string, packed: ReceivedPack): RestoreAnswer {
  const recorded = new Recorded(packed.meta.files);
  const r = restorer.restoreReceived(hash, packed, recorded, true);
  if (r.status === 'existing') return { status: 'placed', placed: true };
  if (r.status !== 'hit') return r;
  return { status: 'hit', ...crossing(r), rows: recorded.rows() };
}

/**
 * Restores a received entry ahead (`ahead.ts`): its outputs below `stage`, as they will lie below
 * the folder that holds them all, so that one rename puts them in place. An entry with links is not
 * staged (where a link leads depends on where it lies): it stays `placed`, restored when it is used.
 */
function staged(hash: string, packed: ReceivedPack, stage: string): RestoreAnswer {
  const files = packed.meta.files;
  if (files.some((f) => f.link !== undefined)) return { status: 'placed', placed: true };
  const prefix = outputsFolder(files);
  const cut = prefix === '' ? 0 : prefix.length + 1;
  const below = files.map((f) => ({ ...f, path: f.path.slice(cut) }));
  const recorded = new Recorded(below);
  const r = new Restorer(stage, dir, restoreMode, largeFile).restoreReceived(hash, { ...packed, meta: { ...packed.meta, files: below } }, recorded, true);
  if (r.status === 'existing') return { status: 'placed', placed: true };
  if (r.status !== 'hit') return r;
  return { status: 'staged', prefix, ...crossing({ ...r, meta: packed.meta }), rows: recorded.rows() };
}

/** A hit's meta and log as they cross to the main thread. */
function crossing(r: Extract<RestoreResult, { status: 'hit' }>): Pick<Extract<RestoreAnswer, { status: 'hit' }>, 'meta' | 'log' | 'restoredFiles'> {
  // A short log's bytes in a buffer of their own (a small Buffer is a view of a shared pool, which would cross whole).
  const log = 'bytes' in r.log ? { size: r.log.size, bytes: Buffer.from(new Uint8Array(r.log.bytes).buffer) } : r.log;
  // Without its fingerprint, as a restore reads meta.json (entry.ts `readMetaSync`): nothing after a restore needs it, and it is half of what would cross.
  return { meta: JSON.stringify({ ...r.meta, fingerprint: undefined }), log, restoredFiles: r.restoredFiles };
}

/** Answers gathered for the next message, and the jobs not answered yet. */
const outbox: { id: number; answer: RestoreAnswer }[] = [];
let unanswered = 0;
/** Answers go back a few at a time (the main thread waits for some to hand over more), all at once when nothing is left. */
const ANSWERS_PER_MESSAGE = 8;

function reply(id: number, a: RestoreAnswer): void {
  outbox.push({ id, answer: a });
  unanswered--;
  if (outbox.length < ANSWERS_PER_MESSAGE && unanswered > 0) return;
  parentPort!.postMessage(outbox.splice(0) satisfies RestoreAnswers);
}

/** Jobs not started yet, and how many run: one at a time would leave the thread idle while a large entry's writes are in the thread pool. */
const queue: RestoreJob[] = [];
let running = 0;
const RUNNING_MAX = 4;

function next(): void {
  while (running < RUNNING_MAX && queue.length > 0) {
    const job = queue.shift()!;
    running++;
    void answer(job).then((a) => {
      running--;
      reply(job.id, a);
      next();
    });
  }
}

parentPort!.on('message', (jobs: readonly RestoreJob[]) => {
  unanswered += jobs.length;
  queue.push(...jobs);
  next();
});
