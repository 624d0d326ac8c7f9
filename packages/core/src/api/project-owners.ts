/**
 * Each project's owners, for `kiln projects` and `kiln affected --owners`: from CODEOWNERS, else
 * from what the owners settings would generate.
 */
import { joinRepoPath, KilnError, type ProjectName } from '../model/index.js';
import { compileCodeowners, type OwnersMatcher } from '../owners/index.js';
import type { Workspace } from '../workspace/index.js';
import { loadOwners, workspacePrefix } from './load-owners.js';
import { generatedCodeowners } from './owners-generate.js';

/**
 * Each project's owners: the owners its root directory has in CODEOWNERS (what a new file directly
 * in the root would get; `/libs/a/` and `*` count, `*.ts` does not). Without a CODEOWNERS file, from
 * what the owners settings would generate; without either, none. For `kiln projects` and `kiln affected`.
 */
export async function ownersOfProjects(ws: Workspace, names?: Iterable<string>): Promise<Map<ProjectName, string[]>> {
  const { repo, prefix } = await workspacePrefix(ws);
  let matcher: OwnersMatcher | undefined;
  try {
    matcher = (await loadOwners(repo)).matcher;
  } catch (error) {
    if (!(error instanceof KilnError && error.diagnostics.some((d) => d.code === 'codeowners-not-found'))) throw error;
    const generated = generatedCodeowners(ws, prefix);
    if (generated) matcher = compileCodeowners(generated.text, generated.outputPath);
  }
  const wanted = names ? new Set(names) : undefined;
  const out = new Map<ProjectName, string[]>();
  for (const p of ws.projects.values()) {
    if (wanted && !wanted.has(p.name)) continue;
    out.set(p.name, matcher ? [...matcher.ownersOfDirectory(joinRepoPath(prefix, p.root)).owners] : []);
  }
  return out;
}

/** The owners of every project, as `kiln projects` shows them (the rule is `ownersOfProjects`'s). */
export async function projectOwners(ws: Workspace): Promise<Map<ProjectName, string[]>> {
  return ownersOfProjects(ws);
}
