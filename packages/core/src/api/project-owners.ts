import type { ProjectName } from '../model/index.js';
import type { Workspace } from '../workspace/index.js';

/**
 * OWNERS HOOK: the owners of each project, as `kiln projects` shows them.
 * Placeholder until the owners module fills it in (from CODEOWNERS / nx.json `owners`):
 * every project has no owners yet. Replace the body; keep the signature.
 */
export async function projectOwners(ws: Workspace): Promise<Map<ProjectName, string[]>> {
  return new Map([...ws.projects.keys()].map((name) => [name, []]));
}
