/**
 * Restore workers: threads that take in and restore remote entries (`restore-worker.ts`), so the
 * main thread only handles HTTP and bookkeeping while files are written. Started on the first
 * entry handed over (never on a run without downloads), a thread at a time per entry in flight up
 * to `KILN_RESTORE_THREADS`, or all at once for enough bodies already in memory (`bodiesAtHand`); idle,
 * they keep nothing alive. A worker that dies (or cannot start)
 * fails its entries in flight with `RestoreWorkerGone`: the caller restores them on its own
 * thread from the bytes it kept, and no worker is used again this run.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LARGE_FILE } from '../files/blob-id.js';
import { entryDir } from './root.js';
import type { EntryLog } from './log.js';
import type { EntryMeta } from './entry.js';
import type { OutputStatIndex, RestoreResult } from './types.js';

export interface RestoreWorkerData {
  readonly workspaceRoot: string;
  readonly dir: string;
  readonly largeFile: number;
  readonly restoreMode: 'link' | 'copy';
}

/** One entry for a worker: its whole body as it came, and the transport's verdict on it. */
export interface RestoreJob {
  readonly id: number;
  readonly hash: string;
  readonly body: Uint8Array;
  readonly verdict: string | undefined;
  /** Restoring ahead (`ahead.ts`): the folder of the cache's tmp/ its outputs are written into, not the workspace. */
  readonly stage?: string;
}

/** What a worker wrote: each file's place in the manifest, and its stat (size, mtimeMs, ctimeMs, ino: four numbers each). */
export interface WrittenRows {
  readonly at: Int32Array;
  readonly stats: Float64Array;
}

/** A file-system error as its fields (an Error loses its code crossing threads). */
export interface ErrorFields {
  readonly message: string;
  readonly code?: string;
  readonly path?: string;
  readonly syscall?: string;
}

export type RestoreAnswer =
  /** `meta`: the entry's meta without its fingerprint, as JSON (one string crosses threads at a fraction of the cost of its objects). */
  | { readonly status: 'hit'; readonly meta: string; readonly log: EntryLog; readonly restoredFiles: number; readonly rows: WrittenRows }
  /** Restored ahead into the job's `stage`: the outputs below the folder `prefix` (repository-relative, '' for the root) lie below `stage`. */
  | { readonly status: 'staged'; readonly prefix: string; readonly meta: string; readonly log: EntryLog; readonly restoredFiles: number; readonly rows: WrittenRows }
  /** Received and placed, nothing written into the workspace (some output exists, or the entry is not packed): the caller restores it. */
  | { readonly status: 'placed'; readonly placed: boolean }
  | { readonly status: 'stale' }
  | { readonly status: 'refused'; readonly reason: string }
  | Exclude<RestoreResult, { status: 'hit' }>
  /** `receive`: taking the entry into the local store failed; `restore`: writing into the workspace did. */
  | { readonly status: 'failed'; readonly stage: 'receive' | 'restore'; readonly error: ErrorFields };

/** A worker died or could not start: the entry was not (or not wholly) restored by it. */
export class RestoreWorkerGone extends Error {
  override readonly name = 'RestoreWorkerGone';
}

/**
 * Workers by default: the cores left after the HTTP thread and one more (a local server, the file
 * system's own work), at least one. On two cores, a second worker made each file cost more CPU and
 * the restore took longer (measured at 1,000 projects); more cores were not measured.
 */
const DEFAULT_THREADS = Math.max(1, Math.min(4, availableParallelism() - 2));

/**
 * Bodies at hand (`RestorePool.bodiesAtHand`) that total less than this restore on the calling
 * thread: a worker's start-up (loading its modules, about 100 ms of CPU) costs more than it saves
 * on so few. On two cores, a fresh clone restoring through its run bundle's plan took, with no
 * worker against two (medians): 0.55 s against 0.64 s at 100 projects (1.4 MB), 0.95 s against
 * 1.06 s at 300 (4.2 MB), 2.2 s against 1.9 s at 1,000 (14 MB); even at about 7 MB
 * (docs/remote-cache.md, "Session 32").
 */
export const AT_HAND_WORKERS_MIN_BYTES = 6 * 1024 * 1024;

/**
 * Workers for bodies at hand totalling `bytes`: none when too few, else one per core, up to four
 * (the calling thread has no network to handle). On two cores, two workers restored 1,000 entries
 * from memory in about three quarters of one worker's wall time, for a fifth more CPU
 * (tools/bench/restore-at-hand.mjs); more cores were not measured.
 */
export function atHandThreads(bytes: number, cores = availableParallelism()): number {
  return bytes < AT_HAND_WORKERS_MIN_BYTES ? 0 : Math.max(1, Math.min(4, cores));
}

/** The bytes of `bodies` in all: what `atHandThreads` and `bodiesAtHand` weigh. */
export function bodiesBytes(bodies: Iterable<Uint8Array>): number {
  let bytes = 0;
  for (const body of bodies) bytes += body.length;
  return bytes;
}

/** Bodies up to this size go to a worker (read whole first); a larger one streams on the main thread. */
export const WORKER_BODY_MAX = 8 * 1024 * 1024;

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve(a: RestoreAnswer): void; reject(e: Error): void }>;
  /** Jobs handed over during this turn of the event loop: sent as one message at its end. */
  readonly outbox: RestoreJob[];
}

/** A worker's answers, several at once (`restore-worker.ts` sends them as they gather). */
export type RestoreAnswers = readonly { readonly id: number; readonly answer: RestoreAnswer }[];

/** The number of workers `KILN_RESTORE_THREADS` asks for, if it does. */
function threadsFromEnv(): number | undefined {
  const forced = process.env.KILN_RESTORE_THREADS === undefined || process.env.KILN_RESTORE_THREADS === '' ? NaN : Number(process.env.KILN_RESTORE_THREADS);
  return forced >= 0 ? Math.floor(forced) : undefined;
}

const WORKER_FILE = new URL('./restore-worker.js', import.meta.url);

/** Workers started ahead of the first download (`startRestoreWorkerEarly`), all with the settings `key` names, for the pool of the same settings to take. */
let early: { readonly key: string; readonly workers: { readonly worker: Worker; readonly drop: () => void }[] } | undefined;

/**
 * Starts restore workers now, before any download, so their start-up (module loading, about
 * 50 ms each) overlaps what the caller does meanwhile (a fresh clone's plan, or its bundle's
 * download): `count` in all with these settings. The first pool with the same settings takes
 * them; until then they are idle and keep nothing alive. None when workers are off.
 */
export function startRestoreWorkerEarly(data: RestoreWorkerData, count = 1): void {
  const key = JSON.stringify(data);
  const want = Math.min(count, threadsFromEnv() ?? count);
  if (want === 0 || (early !== undefined && early.key !== key)) return;
  const started = (early ??= { key, workers: [] });
  try {
    while (started.workers.length < want) {
      const worker = new Worker(WORKER_FILE, { workerData: data });
      worker.unref();
      // A worker that fails before it is taken is simply not taken.
      const drop = (): void => {
        const at = started.workers.findIndex((w) => w.worker === worker);
        if (at >= 0) started.workers.splice(at, 1);
      };
      worker.once('error', drop).once('exit', drop);
      started.workers.push({ worker, drop });
    }
  } catch {
    // Not started: the pool starts its own when it needs one.
  }
}

/** An early worker, if one was started with `data`'s settings (else those are ended: nothing will take them). */
function takeEarly(data: RestoreWorkerData): Worker | undefined {
  if (early === undefined) return undefined;
  if (early.key !== JSON.stringify(data)) {
    dropEarly();
    return undefined;
  }
  const taken = early.workers.shift();
  if (early.workers.length === 0) early = undefined;
  taken?.worker.off('error', taken.drop).off('exit', taken.drop);
  return taken?.worker;
}

/** Ends the early workers no pool took (none will). */
function dropEarly(): void {
  for (const w of early?.workers.splice(0) ?? []) void w.worker.off('error', w.drop).off('exit', w.drop).terminate();
  early = undefined;
}

export class RestorePool {
  private readonly threads: Thread[] = [];
  private nextId = 0;
  /** Why workers are not used any more (one died), once one has failed. */
  gone: string | undefined;
  private max: number;
  /** Whether the number of workers was set (by the cache's settings or `KILN_RESTORE_THREADS`), not left to the cores. */
  private readonly fixed: boolean;

  constructor(
    private readonly data: RestoreWorkerData,
    threads?: number,
  ) {
    // KILN_RESTORE_THREADS sets the number of restore workers (0: none, restore on the calling thread), for measuring and tests.
    const set = threads ?? threadsFromEnv();
    this.fixed = set !== undefined;
    this.max = set ?? DEFAULT_THREADS;
  }

  /** The most workers this pool runs. */
  get size(): number {
    return this.max;
  }

  /**
   * The bodies handed over from now on are already in memory (a run bundle), `bytes` in all, not
   * arriving over the network: the calling thread has little to do meanwhile, so the pool grows to
   * a worker per core (`atHandThreads`), unless its size was set, and starts them all now, so that
   * their start-up overlaps whatever the caller does before the first entry. Too few bytes to
   * repay a start-up, and no worker running yet: none runs, the calling thread restores them.
   */
  bodiesAtHand(bytes: number): void {
    if (!this.fixed) {
      const want = atHandThreads(bytes);
      if (want === 0 && this.threads.length === 0) {
        this.max = 0;
        dropEarly();
        return;
      }
      this.max = Math.max(this.max, want);
    }
    if (!this.usable) return;
    try {
      while (this.threads.length < this.max) this.start();
    } catch {
      // A worker that cannot start: the pool goes on with those it has (none: `run` starts one, or fails over).
    }
  }

  /**
   * Stops every worker, without waiting: a worker's teardown takes tens of milliseconds, which run
   * beside the caller's last work instead of after the process's end. Entries taken in from now on
   * restore on the calling thread.
   */
  stop(): void {
    this.max = 0;
    for (const t of this.threads.splice(0)) {
      t.worker.removeAllListeners('exit').removeAllListeners('error');
      void t.worker.terminate();
    }
  }

  private goneSaid = false;

  /** Why workers are not used any more, the first time it is asked (said once a run). */
  goneNotice(): string | undefined {
    if (this.gone === undefined || this.goneSaid) return undefined;
    this.goneSaid = true;
    return this.gone;
  }

  /** Whether entries can be handed to a worker. */
  get usable(): boolean {
    return this.max > 0 && this.gone === undefined;
  }

  /**
   * Takes in and restores one entry on a worker (`body`, its own ArrayBuffer, is handed over), into
   * `stage` instead of the workspace when given; rejects with `RestoreWorkerGone` when the worker dies first.
   */
  run(hash: string, body: Uint8Array, verdict: string | undefined, stage?: string): Promise<RestoreAnswer> {
    // A worker died while this entry was being read: none is started again.
    if (this.gone !== undefined) return Promise.reject(new RestoreWorkerGone(this.gone));
    const thread = this.pick();
    const id = this.nextId++;
    return new Promise<RestoreAnswer>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      send(thread, { id, hash, body, verdict, ...(stage !== undefined && { stage }) });
    });
  }

  /** The thread with the fewest entries in flight, a new one while there are fewer than allowed and each is busy. */
  private pick(): Thread {
    const idle = this.threads.reduce<Thread | undefined>((best, t) => (best === undefined || t.pending.size < best.pending.size ? t : best), undefined);
    if (idle !== undefined && (idle.pending.size === 0 || this.threads.length >= this.max)) return idle;
    return this.start();
  }

  /** Starts a worker (the early one, if it was started with these settings) and adds it to the pool. */
  private start(): Thread {
    const worker = takeEarly(this.data) ?? new Worker(WORKER_FILE, { workerData: this.data });
    const thread: Thread = { worker, pending: new Map(), outbox: [] };
    worker.on('message', (answers: RestoreAnswers) => {
      for (const { id, answer } of answers) {
        thread.pending.get(id)?.resolve(answer);
        thread.pending.delete(id);
      }
      // Idle: the worker keeps nothing alive (and delays no exit).
      if (thread.pending.size === 0) worker.unref();
    });
    // After the listener: adding one refs the worker's port again, and a worker started for bodies at hand may never get a job.
    worker.unref();
    const fail = (why: string): void => {
      this.gone ??= why;
      for (const p of thread.pending.values()) p.reject(new RestoreWorkerGone(why));
      thread.pending.clear();
      const at = this.threads.indexOf(thread);
      if (at >= 0) this.threads.splice(at, 1);
    };
    worker.on('error', (e) => fail(`a restore worker failed (${e.message})`));
    worker.on('exit', (code) => fail(`a restore worker stopped (exit code ${code})`));
    this.threads.push(thread);
    return thread;
  }
}

/**
 * Queues `job` for its worker. Every job handed over in one turn of the event loop goes in one
 * message (a run bundle's entries come hundreds at a time): a message costs both threads more than
 * a small entry's bookkeeping. Bodies are handed over, not copied (the caller keeps the chunks
 * they came in, to restore them itself if the worker dies).
 */
function send(thread: Thread, job: RestoreJob): void {
  thread.outbox.push(job);
  if (thread.outbox.length > 1) return;
  setImmediate(() => {
    const jobs = thread.outbox.splice(0);
    thread.worker.postMessage(
      jobs,
      jobs.map((j) => j.body.buffer as ArrayBuffer),
    );
  });
}

/**
 * Reads a body whole when it ends within `max` bytes (`whole`, in an ArrayBuffer of its own, and
 * the `chunks` it came in); else (or when `size`, the size announced, is already larger) gives
 * back the stream as it was, the bytes read so far included (`stream`).
 */
export async function readWhole(
  body: AsyncIterable<Uint8Array>,
  size: number | undefined,
  max: number,
): Promise<{ readonly whole: Buffer; readonly chunks: readonly Uint8Array[] } | { readonly stream: AsyncIterable<Uint8Array> }> {
  if (size !== undefined && size > max) return { stream: body };
  const it = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const n = await it.next();
    if (n.done) break;
    chunks.push(n.value);
    total += n.value.length;
    if (total > max) return { stream: rejoined(chunks, it) };
  }
  // One buffer of its own, to hand over (a chunk may be a view into a larger one).
  const whole = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const c of chunks) {
    whole.set(c, at);
    at += c.length;
  }
  return { whole, chunks };
}

async function* rejoined(chunks: readonly Uint8Array[], it: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  } finally {
    await it.return?.();
  }
}

/** The settings a cache's restores run with, defaults filled in: its own and its restore workers' (the pool takes an early worker only when they match). */
export function restoreWorkerData(workspaceRoot: string, dir: string, options: { readonly restoreMode?: 'link' | 'copy'; readonly largeFile?: number }): RestoreWorkerData {
  return { workspaceRoot, dir, largeFile: options.largeFile ?? LARGE_FILE, restoreMode: options.restoreMode ?? 'link' };
}

/**
 * Starts a restore worker for the cache `openLocalCache` would open with these arguments, ahead of
 * its first download; with `atHand` (the bytes of a run bundle's bodies, all of which will be in
 * memory), as many as the pool will run then (`bodiesAtHand`): none for a small bundle.
 */
export function startRestoreWorkerFor(
  workspaceRoot: string,
  dir: string,
  options: { readonly restoreMode?: 'link' | 'copy'; readonly largeFile?: number; readonly restoreThreads?: number; readonly atHand?: number } = {},
): void {
  if (options.restoreThreads !== 0) startRestoreWorkerEarly(restoreWorkerData(workspaceRoot, dir, options), options.atHand === undefined ? 1 : atHandThreads(options.atHand));
}

/** A worker's hit for the entry of `hash` in the cache folder `dir`, each file it wrote entered in `index`, meta.json's stat taken here (for the run manifest). */
export function recordHit(dir: string, hash: string, a: Extract<RestoreAnswer, { status: 'hit' }>, index?: OutputStatIndex): RestoreResult {
  const meta = JSON.parse(a.meta) as EntryMeta;
  const { at, stats } = a.rows;
  for (let i = 0; index && i < at.length; i++) {
    const f = meta.files[at[i]!]!;
    index.set(f.path, { size: stats[4 * i]!, mtimeMs: stats[4 * i + 1]!, ctimeMs: stats[4 * i + 2]!, ino: stats[4 * i + 3]! }, f.oid);
  }
  // Bytes cross threads as a Uint8Array.
  const log: EntryLog = 'bytes' in a.log ? { size: a.log.size, bytes: Buffer.from(a.log.bytes.buffer, a.log.bytes.byteOffset, a.log.bytes.byteLength) } : a.log;
  return { status: 'hit', meta, log, restoredFiles: a.restoredFiles, metaStat: statSync(join(entryDir(dir, hash), 'meta.json')) };
}
