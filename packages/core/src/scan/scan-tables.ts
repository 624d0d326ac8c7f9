/**
 * Reads and scans source files for their import specifiers, unresolved, so the scan can start
 * before the workspace configuration is read. Worker threads and, once it has nothing else to do,
 * the calling thread (`help`) claim chunks of files from one shared counter until none is left,
 * so no core idles while another still has a long share. Each thread's part comes back as an
 * `ImportTable` over the whole file list (`ScannedShare`). The public face is `index.ts`.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
// The scanner alone, not graph/'s index: each worker thread loads this module at its start.
import { scanImportBytes, scanImports, type FileImports } from '../graph/scan.js';
import { cwdRelativePrefix } from '../model/paths.js';
import { ImportTableWriter, type ImportTable } from './import-table.js';

/** One thread's part of a scan, as `walkImportTables` takes it: `data` indexes into `files` (the whole list scanned). */
export interface ScannedShare extends ImportTable {
  readonly files: readonly string[];
}

/** A scan under way. */
export interface ImportScan {
  /** Scans chunks on the calling thread until none is left; call it when that thread would otherwise wait. */
  help(): void;
  /** Scans chunks on the calling thread, a chunk at a time between turns of the event loop, until `event` settles (or no chunk is left). */
  helpUntil(event: Promise<unknown>): Promise<void>;
  /** Every thread's part, once all are done (after `help`, which a scan without workers needs). */
  readonly done: Promise<ScannedShare[]>;
}

/** Files a thread claims at a time: small enough to balance the threads, large enough to keep the counter cold. */
const CHUNK = 256;

/** Below this many files a worker costs more to start than it saves. */
const WORKER_THRESHOLD = 2000;

export function startImportScan(root: string, files: readonly string[]): ImportScan {
  // KILN_SCAN_THREADS sets the number of scanning threads, this one included (1: no workers), for measuring and tests.
  const forced = Number(process.env.KILN_SCAN_THREADS);
  const workers = forced >= 1 ? Math.floor(forced) - 1 : files.length < WORKER_THRESHOLD ? 0 : Math.min(4, Math.max(1, availableParallelism() - 1));
  const next = new Int32Array(new SharedArrayBuffer(4));
  const parts: Promise<ScannedShare>[] = [];
  if (workers > 0) {
    // One string crosses to each worker far cheaper than an array of 100,000.
    const list = files.join('\0');
    // Created now, not after an await: the caller goes on with synchronous work (reading the configuration).
    for (let i = 0; i < workers; i++)
      parts.push(
        new Promise<ScannedShare>((resolve, reject) => {
          const worker = new Worker(new URL('./scan-worker.js', import.meta.url), { workerData: { root, list, next } });
          worker.once('message', (table: ImportTable) => resolve({ files, ...table }));
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`import scan worker exited with code ${code}`));
          });
        }),
      );
  }
  const own = new ChunkScanner(cwdRelativePrefix(root), files, next);
  let finished = false;
  let helped!: (share: ScannedShare) => void;
  parts.push(new Promise<ScannedShare>((resolve) => (helped = resolve)));
  const done = Promise.all(parts);
  done.catch(() => undefined); // a caller that fails first never reads it
  return {
    help() {
      if (finished) return;
      finished = true;
      while (own.scanNextChunk());
      helped({ files, ...own.writer.finish() });
    },
    async helpUntil(event) {
      let settled = false;
      event.then(
        () => (settled = true),
        () => (settled = true),
      );
      while (!settled && !finished && own.scanNextChunk()) await new Promise((resolve) => setImmediate(resolve));
    },
    done,
  };
}

/** Starts a scan and helps with it at once: for callers with nothing else to do meanwhile. */
export function scanImportTables(root: string, files: readonly string[]): Promise<ScannedShare[]> {
  const scan = startImportScan(root, files);
  scan.help();
  return scan.done;
}

/**
 * One thread's side of a scan: claims chunks of `files` from the shared counter `next` and scans
 * each file (read from `at` + its path) into `writer`. Every thread of a scan runs one.
 */
export class ChunkScanner {
  readonly writer = new ImportTableWriter();
  // One buffer for every file: open, read, close (no fstat, no per-file allocation) is the hot loop.
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  constructor(
    private readonly at: string,
    private readonly files: readonly string[],
    private readonly next: Int32Array,
  ) {}

  /** Scans the next unclaimed chunk; false when none was left. */
  scanNextChunk(): boolean {
    const { files } = this;
    const start = Atomics.add(this.next, 0, CHUNK);
    if (start >= files.length) return false;
    for (let i = start, end = Math.min(start + CHUNK, files.length); i < end; i++) {
      let found: FileImports;
      try {
        found = scanFile(this.at + files[i], this.buffer);
      } catch {
        continue; // listed by git but gone from the work tree
      }
      this.writer.add(i, found);
    }
    return true;
  }
}

/** Scans the bytes in place (no decoding of the whole file); a file larger than the buffer is read whole. */
function scanFile(path: string, buffer: Buffer): FileImports {
  const fd = openSync(path, 'r');
  let n = 0;
  try {
    for (let r; n < buffer.length && (r = readSync(fd, buffer, n, buffer.length - n, null)) > 0; ) n += r;
  } finally {
    closeSync(fd);
  }
  return n < buffer.length ? scanImportBytes(buffer, n) : scanImports(readFileSync(path, 'utf8'));
}
