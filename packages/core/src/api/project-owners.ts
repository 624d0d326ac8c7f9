import type { ProjectName } from '../model/index.js';
import type { Workspace } from '../workspace/index.js';
import { ownersOfProjects } from './owners.js';

/**
 * The owners of each project, as `kiln projects` shows them: the owners CODEOWNERS gives the
 * project's root directory (see `ownersOfProjects` in owners.ts for the rule).
 */
export async function projectOwners(ws: Workspace): Promise<Map<ProjectName, string[]>> {
  return ownersOfProjects(ws);
}
