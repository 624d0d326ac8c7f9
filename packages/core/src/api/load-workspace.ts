import { insideWorkTree, listFiles } from '../scm/index.js';
import { globWorkspaceFiles, requireWorkspaceRoot, type Workspace } from '../workspace/index.js';
import { readWorkspaceWithPlugins } from '../workspace/plugins/index.js';

/**
 * Reads the workspace containing `cwd`: the nearest directory upward with nx.json, else with a
 * package.json `workspaces` or pnpm-workspace.yaml. nx.json's plugins add the targets they infer. Files are listed with git when the workspace
 * is in a git repository (tracked plus untracked-not-ignored), with fast-glob otherwise.
 * Throws a KilnError (exit 2) listing every configuration problem, located at file:line:column.
 */
export async function loadWorkspace(cwd: string): Promise<Workspace> {
  const root = requireWorkspaceRoot(cwd);
  const files = (await insideWorkTree(root)) ? await listFiles(root) : await globWorkspaceFiles(root);
  return readWorkspaceWithPlugins(root, files, cwd);
}
