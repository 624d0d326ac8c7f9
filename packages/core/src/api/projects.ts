import type { Workspace, ProjectType } from '../workspace/index.js';
import { projectOwners } from './project-owners.js';

/** One row of `kiln projects --json`. */
export interface ProjectSummary {
  readonly name: string;
  /** Repo-relative; `.` for a project at the workspace root (as Nx writes it). */
  readonly root: string;
  readonly type: ProjectType;
  readonly tags: readonly string[];
  readonly owners: readonly string[];
}

/** Every project, sorted by name, with its owners. */
export async function listProjects(ws: Workspace): Promise<ProjectSummary[]> {
  const owners = await projectOwners(ws);
  return [...ws.projects.values()]
    .map((p) => ({ name: p.name, root: p.root === '' ? '.' : p.root, type: p.type, tags: [...p.tags], owners: owners.get(p.name) ?? [] }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
