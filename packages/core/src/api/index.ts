/**
 * api: the operations the CLI and the Nx plugin call, one file per operation, wiring the edge
 * modules (git, files) to the pure ones.
 *
 * Start here:
 *   const ws = await loadWorkspace(cwd);     // Workspace: root, nxJson, projects (Map by name), files
 *   const graph = await projectGraph(ws);    // ProjectGraph: dependencies/dependents/external maps, cycles
 */
export { loadWorkspace } from './load-workspace.js';
export { projectGraph, projectSourceFiles } from './project-graph.js';
export { listProjects, type ProjectSummary } from './projects.js';
export { projectOwners } from './project-owners.js';
export type { Workspace, Project, ProjectType, PackageJsonInfo, TsconfigPaths, NxJsonConfiguration, ProjectConfiguration, TargetConfiguration } from '../workspace/index.js';
export type { ProjectGraph, ProjectEdge, DependencyType, ExternalDependency, NxGraphJson } from '../graph/index.js';
export { toNxProjectGraph, findCycles, topologicalOrder, dependenciesOf, dependentsOf, transitiveDependents } from '../graph/index.js';
export * from './owners.js';
