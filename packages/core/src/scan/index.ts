/**
 * scan: reads source files from the work tree and scans them for their import specifiers,
 * unresolved, on worker threads and the calling thread at once (`startImportScan`), so the scan
 * can start before the workspace configuration is read. Each thread's part comes back as a
 * compact `ImportTable` that is cheap to pass between threads. On top of it, the project graph
 * of a loaded workspace (`projectGraph`) and, for `kiln graph`, the workspace and its graph in one
 * pass, the scan started before the configuration is read (`loadWorkspaceAndGraph`). Edge: it
 * reads files and lists them with git.
 *
 * It leaves to others: what a specifier means (`graph/` resolves the tables against the
 * projects with `walkImportTables`, and builds the graph), reading the configuration
 * (`workspace/`), and the scanner itself (`graph/scan.ts`, pure, on text or bytes).
 * `scan-worker.ts` is the worker threads' entry; it is loaded by path, not through this index.
 */
export { startImportScan, scanImportTables, type ImportScan, type ScannedShare } from './scan-tables.js';
export { ImportTableWriter, type ImportTable } from './import-table.js';
export { projectGraph, projectSourceFiles } from './project-graph.js';
export { loadWorkspaceAndGraph } from './workspace-graph.js';
