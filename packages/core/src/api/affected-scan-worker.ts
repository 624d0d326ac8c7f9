/**
 * (Was api/scan-worker.ts; moved so that file stays the project graph's scan worker.)
 * A worker thread that reads and scans a share of the workspace's source files for imports, so
 * building the graph state from nothing uses every core. Receives `{ root, files }`, answers with
 * an `ImportTable` over those files (each distinct specifier once, the rest a transferred Int32Array).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { scanImportBytes, scanImports, type FileImports } from '../graph/scan.js';
import { ImportTableWriter } from './import-table.js';
import { cwdRelativePrefix } from '../model/paths.js';

const { root, files } = workerData as { root: string; files: string[] };
const prefix = cwdRelativePrefix(root);
const table = new ImportTableWriter();
// One buffer for every file: open, read, close (no fstat, no per-file allocation) is the hot loop.
const buffer = Buffer.allocUnsafe(1 << 20);
for (let i = 0; i < files.length; i++) {
  let found: FileImports;
  try {
    found = scan(prefix + files[i]);
  } catch {
    continue; // listed by git but gone from the work tree
  }
  table.add(i, found);
}
const result = table.finish();
parentPort!.postMessage(result, [result.data.buffer as ArrayBuffer]);

/** Scans the bytes in place (no decoding of the whole file); a file larger than the buffer is read whole. */
function scan(path: string): FileImports {
  const fd = openSync(path, 'r');
  let n = 0;
  try {
    for (let r; n < buffer.length && (r = readSync(fd, buffer, n, buffer.length - n, null)) > 0; ) n += r;
  } finally {
    closeSync(fd);
  }
  return n < buffer.length ? scanImportBytes(buffer, n) : scanImports(readFileSync(path, 'utf8'));
}
