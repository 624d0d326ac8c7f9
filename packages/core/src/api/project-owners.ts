/**
 * Each project's owners, for `kiln projects` and `kiln affected --owners`: from CODEOWNERS, else
 * from what the owners settings would generate.
 */
import { joinRepoPath, KilnError, projectName, type ProjectName } from '../model/index.js';
import { compileCodeowners, type OwnersMatcher } from '../owners/index.js';
import type { Workspace } from '../workspace/index.js';
import { loadOwners, workspacePrefix } from './load-owners.js';
import { generatedCodeowners, ownersSourceOf, type OwnersSource } from './owners-generate.js';

/**
 * Each project's owners: the owners its root directory has in CODEOWNERS (what a new file directly
 * in the root would get; `/libs/a/` and `*` count, `*.ts` does not). Without a CODEOWNERS file, from
 * what the owners settings would generate; without either, none. For `kiln projects` and `kiln affected`.
 */
export async function ownersOfProjects(ws: Workspace, names?: Iterable<string>): Promise<Map<ProjectName, string[]>> {
  return ownersOfProjectsIn(ownersSourceOf(ws), names);
}

/**
 * `ownersOfProjects` from an owners source (`ownersSourceOf`) instead of a loaded workspace. With a
 * CODEOWNERS file only the projects' names and roots are read from it.
 */
export async function ownersOfProjectsIn(source: OwnersSource, names?: Iterable<string>): Promise<Map<ProjectName, string[]>> {
  const { repo, prefix } = await workspacePrefix(source);
  let matcher: OwnersMatcher | undefined;
  try {
    matcher = (await loadOwners(repo)).matcher;
  } catch (error) {
    if (!(error instanceof KilnError && error.diagnostics.some((d) => d.code === 'codeowners-not-found'))) throw error;
    const generated = generatedCodeowners(source, prefix);
    if (generated) matcher = compileCodeowners(generated.text, generated.outputPath);
  }
  const wanted = names ? new Set(names) : undefined;
  const out = new Map<ProjectName, string[]>();
  for (const p of source.projects) {
    if (wanted && !wanted.has(p.name)) continue;
    out.set(projectName(p.name), matcher ? [...matcher.ownersOfDirectory(joinRepoPath(prefix, p.root)).owners] : []);
  }
  return out;
}

/** The owners of every project, as `kiln projects` shows them (the rule is `ownersOfProjects`'s). */
export async function projectOwners(ws: Workspace): Promise<Map<ProjectName, string[]>> {
  return ownersOfProjects(ws);
}
