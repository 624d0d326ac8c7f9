/**
 * Reads and scans source files for their import specifiers, unresolved, so the scan can start
 * before the workspace configuration is read: on worker threads for a large workspace (in this
 * thread for a small one). Each share comes back as an `ImportTable` over its files. Edge.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { scanImports } from '../graph/scan.js';
import { cwdRelativePrefix } from '../model/paths.js';
import { ImportTableWriter, type ImportTable } from './import-table.js';

/** One share of the scanned files: `table.data` indexes into `files`. */
export interface ScannedShare {
  readonly files: readonly string[];
  readonly table: ImportTable;
}

export async function scanImportTables(root: string, files: readonly string[]): Promise<ScannedShare[]> {
  // KILN_SCAN_THREADS sets the worker count whatever the workspace's size (1: none), for measuring and tests.
  const forced = Number(process.env.KILN_SCAN_THREADS);
  const threads = forced > 1 ? forced : forced === 1 || files.length < 2000 ? 0 : Math.min(4, Math.max(2, availableParallelism()));
  if (threads === 0) {
    const writer = new ImportTableWriter();
    const at = cwdRelativePrefix(root);
    files.forEach((f, i) => {
      let text: string;
      try {
        text = readFileSync(at + f, 'utf8');
      } catch {
        return; // listed by git but gone from the work tree
      }
      writer.add(i, scanImports(text));
    });
    return [{ files, table: writer.finish() }];
  }
  const { Worker } = await import('node:worker_threads');
  const share = Math.ceil(files.length / threads);
  return Promise.all(
    Array.from({ length: threads }, (_, i) => {
      const part = files.slice(i * share, (i + 1) * share);
      return new Promise<ScannedShare>((resolve, reject) => {
        const worker = new Worker(new URL('./affected-scan-worker.js', import.meta.url), { workerData: { root, files: part } });
        worker.once('message', (table: ImportTable) => resolve({ files: part, table }));
        worker.once('error', reject);
      });
    }),
  );
}

/** Each specifier list of a share's file, for callers that want them as arrays. */
export function forEachFileImports(share: ScannedShare, visit: (file: string, found: { static: string[]; dynamic: string[] }) => void): void {
  const { files, table } = share;
  const data = table.data;
  for (let i = 0; i < data.length; ) {
    const file = files[data[i]!]!;
    const ns = data[i + 1]!;
    const nd = data[i + 2]!;
    i += 3;
    const stat: string[] = [];
    const dynamic: string[] = [];
    for (const end = i + ns; i < end; i++) stat.push(table.specifiers[data[i]!]!);
    for (const end = i + nd; i < end; i++) dynamic.push(table.specifiers[data[i]!]!);
    visit(file, { static: stat, dynamic });
  }
}
