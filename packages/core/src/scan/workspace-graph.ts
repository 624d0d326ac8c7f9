/**
 * The workspace and its project graph in one go, for `kiln graph`: the tracked source files are
 * read and scanned (on worker threads, and on this thread while it waits for git to list the
 * untracked files) before the configuration is read, and their imports resolved once the projects
 * are known. Same result as `loadWorkspace` then `projectGraph`.
 */
import { isScannedSource, ProjectGraphBuilder, type ProjectGraph } from '../graph/index.js';
import { KilnError } from '../model/index.js';
import { gitOrThrow, splitNul, trackedFiles } from '../scm/index.js';
import { globWorkspaceFiles, readWorkspace, requireWorkspaceRoot, type Workspace } from '../workspace/index.js';
import { scanImportTables, startImportScan, type ScannedShare } from './scan-tables.js';

export async function loadWorkspaceAndGraph(cwd: string): Promise<{ workspace: Workspace; graph: ProjectGraph }> {
  const root = requireWorkspaceRoot(cwd);
  // The index lists the tracked files at once; the untracked ones take a walk of every directory,
  // so they are asked for alongside and the scan starts without them.
  const others = gitOrThrow(root, ['ls-files', '-z', '--others', '--exclude-standard']);
  others.catch(() => undefined);
  const tracked = await trackedFiles(root).catch(() => undefined);
  let files: string[];
  let shares: ScannedShare[];
  let workspace: Workspace;
  if (tracked === undefined) {
    // Not a git work tree: every file that is not ignored by convention.
    files = await globWorkspaceFiles(root);
    workspace = readWorkspace(root, files, cwd);
    shares = await scanImportTables(root, files.filter(isScannedSource));
  } else {
    const scan = startImportScan(root, tracked.filter(isScannedSource));
    await scan.helpUntil(others);
    const untracked = splitNul(await others);
    files = untracked.length === 0 ? tracked : [...new Set([...tracked, ...untracked])];
    workspace = readWorkspace(root, files, cwd);
    // The configuration is read: this thread scans alongside the workers until the files run out.
    scan.help();
    shares = [...(await scan.done), ...(await scanImportTables(root, untracked.filter(isScannedSource)))];
  }
  const builder = new ProjectGraphBuilder(workspace.projects, workspace.tsconfigPaths);
  builder.addImportTables(shares);
  const result = builder.build();
  if (!result.ok) throw new KilnError(result.error);
  return { workspace, graph: result.value };
}
