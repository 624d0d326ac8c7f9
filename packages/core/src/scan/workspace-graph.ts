/**
 * The workspace and its project graph in one go, for `kiln graph`: the tracked source files are
 * read and scanned (on worker threads, and on this thread while it waits for git to list the
 * untracked files) before the configuration is read, and their imports resolved once the projects
 * are known. Same result as `loadWorkspace` then `projectGraph`: the same files (.nxignore hides
 * them from the scan too) and nx.json's plugins.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isScannedSource, ProjectGraphBuilder, type ProjectGraph } from '../graph/index.js';
import { KilnError } from '../model/index.js';
import { gitOrThrow, splitNul, trackedFiles } from '../scm/index.js';
import { globWorkspaceFiles, requireWorkspaceRoot, visibleFiles, type Workspace } from '../workspace/index.js';
import { readWorkspaceWithPlugins } from '../workspace/plugins/index.js';
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
  const sources = (list: readonly string[]): string[] => visibleFiles(list, readRoot(root)).filter(isScannedSource);
  if (tracked === undefined) {
    // Not a git work tree: every file that is not ignored by convention.
    files = await globWorkspaceFiles(root);
    workspace = await readWorkspaceWithPlugins(root, files, cwd);
    shares = await scanImportTables(root, sources(files));
  } else {
    const scan = startImportScan(root, sources(tracked));
    await scan.helpUntil(others);
    const untracked = splitNul(await others);
    files = untracked.length === 0 ? tracked : [...new Set([...tracked, ...untracked])];
    const read = readWorkspaceWithPlugins(root, files, cwd);
    // Plugins may take a while in their own processes: this thread scans meanwhile.
    await scan.helpUntil(read);
    workspace = await read;
    // The configuration is read: this thread scans alongside the workers until the files run out.
    scan.help();
    shares = [...(await scan.done), ...(await scanImportTables(root, sources(untracked)))];
  }
  const builder = new ProjectGraphBuilder(workspace.projects, workspace.tsconfigPaths);
  builder.addImportTables(shares);
  const result = builder.build();
  if (!result.ok) throw new KilnError(result.error);
  return { workspace, graph: result.value };
}

/** Reads a root file (.nxignore) for `visibleFiles`. */
function readRoot(root: string): (path: string) => string | undefined {
  return (path) => {
    try {
      return readFileSync(join(root, path), 'utf8');
    } catch {
      return undefined;
    }
  };
}
