/**
 * The owners of affected projects, by the owners operation's rule (`ownersOfProjects` in
 * project-owners.ts), through the owners graph-state keeps beside the graph. With a CODEOWNERS
 * file only names and roots matter, which the saved view has; ownership generated from project
 * configuration needs the whole workspace, read once per configuration: every project's owners are
 * then saved under the state's digest of that configuration, so warm runs read none of it again.
 */
import { savedOwners, type AffectedGraphView } from '../graph-state/index.js';
import type { Workspace } from '../workspace/index.js';

export async function affectedOwners(view: AffectedGraphView, top: string, names: readonly string[]): Promise<Record<string, string[]>> {
  const saved = await savedOwners(view, top);
  const missing = names.filter((n) => saved.owners[n] === undefined);
  if (missing.length > 0) {
    const { ownersOfProjects } = await import('./project-owners.js');
    const generated = saved.file === undefined;
    // Generated ownership costs the workspace whatever is asked: answer for every project at once.
    const ask = generated ? undefined : missing;
    for (const [name, owners] of await ownersOfProjects(await workspaceOf(view, !generated), ask)) saved.owners[name] = [...owners];
    saved.save();
  }
  return Object.fromEntries(names.map((n) => [n, saved.owners[n] ?? []]));
}

/** The view's workspace; with a CODEOWNERS file, names and roots stand in for it when it was not read. */
async function workspaceOf(view: AffectedGraphView, hasCodeowners: boolean): Promise<Workspace> {
  if (view.workspace !== undefined) return view.workspace;
  if (!hasCodeowners) return (await import('./load-workspace.js')).loadWorkspace(view.root);
  const projects = new Map(view.projects.map((p) => [p.name, { name: p.name, root: p.root, config: {}, configFiles: [], tags: [] }]));
  return { root: view.root, nxJson: view.nxJson, projects } as unknown as Workspace;
}
