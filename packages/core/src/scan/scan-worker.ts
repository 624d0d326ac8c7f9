/**
 * The worker thread of `startImportScan` (`scan-tables.ts`): claims chunks of the source files from
 * the shared counter, reads and scans them for imports, and answers with an `ImportTable` over the
 * whole list (each distinct specifier once, the rest a transferred Int32Array).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cwdRelativePrefix } from '../model/paths.js';
import { ChunkScanner } from './scan-tables.js';

const { root, list, next } = workerData as { root: string; list: string; next: Int32Array };
// The threads share the process's working directory, so relative paths work here too.
const scanner = new ChunkScanner(cwdRelativePrefix(root), list.split('\0'), next);
while (scanner.scanNextChunk());
const result = scanner.writer.finish();
parentPort!.postMessage(result, [result.data.buffer as ArrayBuffer]);
