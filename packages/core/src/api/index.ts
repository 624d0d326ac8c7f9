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
export { release, releaseIn, type ReleaseOptions, type ReleaseResult, type ReleasedProject } from './release.js';
export { artifact, artifactIn, readArtifactIndex, type ArtifactOptions, type ArtifactResult, type ArtifactSummary, type BuildStep } from './artifact.js';
export { checkReproducible, type ReproducibilityResult } from './artifact-check.js';
export { promote, promoteIn, type PromoteResult } from './promote.js';
export type { ReleaseContext, ReleaseProjectInfo } from '../release/index.js';
export { affected, type AffectedOptions, type AffectedResult, type AffectedTaskResult } from './affected.js';
export { describeReason, explainChain, type Reason } from '../affected/index.js';
export { expandOutputs } from '../tasks/index.js';
export { run, type RunOptions, type RunResult, type TaskResult, type RunEvents } from './run.js';
export { taskHash, type TaskHash } from './hash.js';
export { whyMiss, type WhyMiss } from './why-miss.js';
export type { FingerprintChange, Fingerprint } from '../hash/index.js';
