/**
 * The workspace and its project graph in one go, for `kiln graph`: the source files are read and
 * scanned (on worker threads) while this thread reads the configuration, and their imports are
 * resolved once the projects are known. Same result as `loadWorkspace` then `projectGraph`.
 */
import { isSourceFile, ProjectGraphBuilder, type ProjectGraph } from '../graph/index.js';
import { KilnError } from '../model/index.js';
import { insideWorkTree, listFiles } from '../scm/index.js';
import { globWorkspaceFiles, readWorkspace, requireWorkspaceRoot, type Workspace } from '../workspace/index.js';
import { forEachFileImports, scanImportTables } from './scan-tables.js';

export async function loadWorkspaceAndGraph(cwd: string): Promise<{ workspace: Workspace; graph: ProjectGraph }> {
  const root = requireWorkspaceRoot(cwd);
  const files = (await insideWorkTree(root)) ? await listFiles(root) : await globWorkspaceFiles(root);
  const scanning = scanImportTables(
    root,
    files.filter((f) => isSourceFile(f) && !f.startsWith('node_modules/') && !f.includes('/node_modules/')),
  );
  scanning.catch(() => undefined); // a configuration error below is the one reported
  const workspace = readWorkspace(root, files, cwd);
  const builder = new ProjectGraphBuilder(workspace.projects, workspace.tsconfigPaths);
  for (const share of await scanning) forEachFileImports(share, (file, found) => builder.addFileImports(file, found));
  const result = builder.build();
  if (!result.ok) throw new KilnError(result.error);
  return { workspace, graph: result.value };
}
