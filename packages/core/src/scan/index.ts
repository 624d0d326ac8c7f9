/**
 * scan: reads source files from the work tree and scans them for their import specifiers,
 * unresolved, on worker threads and the calling thread at once (`startImportScan`), so the scan
 * can start before the workspace configuration is read. Each thread's part comes back as a
 * compact `ImportTable` that is cheap to pass between threads. Edge: it reads files.
 *
 * It leaves to others: what a specifier means (`graph/` resolves the tables against the
 * projects with `walkImportTables`), which files to scan (the caller lists them, usually with
 * git), and the scanner itself (`graph/scan.ts`, pure, on text or bytes).
 * `scan-worker.ts` is the worker threads' entry; it is loaded by path, not through this index.
 */
export { startImportScan, scanImportTables, type ImportScan, type ScannedShare } from './scan-tables.js';
export { ImportTableWriter, type ImportTable } from './import-table.js';
